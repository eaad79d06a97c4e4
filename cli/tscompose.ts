#!/usr/bin/env node
/**
 * tscompose entry point. A repeated no-op `up` is answered from its memo (cli/compose/fast-up.ts)
 * before the command line parser or any compose code loads; everything else goes to the program
 * in cli/compose/program.ts.
 */
async function main(): Promise<void> {
  if (process.argv.includes('up') && (await (await import('./compose/fast-up.js')).fastNoopUp().catch(() => false))) return;
  await (await import('./compose/program.js')).program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`tscompose: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
