/** Options every tscompose command accepts (top-level flags), merged with the command's own. */
export interface GlobalOptions {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
  profile: string[];
  progress: 'auto' | 'tty' | 'plain' | 'quiet' | 'json';
  ansi: string;
  [flag: string]: unknown;
}
