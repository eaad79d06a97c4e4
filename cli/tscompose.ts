#!/usr/bin/env node
/**
 * tscompose entry point: the command line in cli/compose/program.ts. The start-up stub
 * (dist/tscompose.mjs, written by scripts/build.mjs) asks the no-op memo first
 * (cli/compose/fast-up.ts, a bundle of its own) and comes here only when it cannot answer.
 */
async function main(): Promise<void> {
  await (await import('./compose/program.js')).program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`tscompose: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
