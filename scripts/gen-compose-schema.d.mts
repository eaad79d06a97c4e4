/** Types of scripts/gen-compose-schema.mjs, for the tests that run its generator. */
export function generate(text: string, source: string): string;
