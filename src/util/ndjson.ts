/**
 * Splits a text stream into lines as chunks arrive and hands each complete line to `onLine`
 * (NDJSON streams: service logs). A trailing partial line is kept until its newline comes.
 */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line !== '') onLine(line);
    }
  };
}
