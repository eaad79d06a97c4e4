/** Seeds that once exposed a bug; each runs in every CI build. */
export const regressionSeeds: { seed: number; bug: string }[] = [];
