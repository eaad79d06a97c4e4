// ESLint flat config: `npm run lint` (run by scripts/test.sh after the typecheck; any error fails CI).
//
// - TypeScript files get typescript-eslint's `recommendedTypeChecked` through the project service
//   (tsconfig.json): the whole repository (~42,000 lines) lints in under a minute on 2 cores.
// - Plain .mjs/.js files (bin/, scripts/, test/bench/) get the JavaScript recommended set only.
// - Limits: lines of 180 characters of code (strings, template literals, regexps, URLs and
//   comments do not count), cyclomatic complexity 30, 120 lines per function (blank and comment
//   lines not counted; not in test/, where a `describe` callback is the whole file). Each sits
//   just above what the code does today apart from a dozen outliers, which are exempted by name.
// - Warnings are a review list, not failures: `npm run lint` runs with --quiet;
//   `npm run lint:warnings` prints them (today: handlers that swallow errors).
// - Files others are changing (src/swarm, src/net, cli/swarm) are not edited for lint: their
//   exemptions are the per-file list at the end, each with a reason, to shrink as the code is split.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts'];
const JS = ['**/*.mjs', '**/*.js', '**/*.cjs'];

/** `.catch(() => undefined)`, `.catch(() => {})`, `.catch(() => null)`, empty `catch {}` and `catch { return; }`. */
const swallowed = (what) => `${what} swallows the error: log it, rethrow it, or say in a comment why it is safe to drop`;
const swallowedErrors = [
  { selector: "CallExpression[callee.property.name='catch'][arguments.0.params.length=0][arguments.0.body.type='Identifier'][arguments.0.body.name='undefined']", message: swallowed('.catch(() => undefined)') },
  { selector: "CallExpression[callee.property.name='catch'][arguments.0.params.length=0][arguments.0.body.raw='null']", message: swallowed('.catch(() => null)') },
  { selector: "CallExpression[callee.property.name='catch'][arguments.0.params.length=0][arguments.0.body.type='BlockStatement'][arguments.0.body.body.length=0]", message: swallowed('.catch(() => {})') },
  { selector: 'CatchClause[body.body.length=0]', message: swallowed('an empty catch block') },
  { selector: 'CatchClause[param=null] > BlockStatement[body.length=1] > ReturnStatement.body[argument=null]', message: swallowed('`catch { return; }`') },
];

export default defineConfig(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'tmp/**', 'vagrant/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  js.configs.recommended,
  { files: TS, extends: [tseslint.configs.recommendedTypeChecked] },
  {
    files: TS,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: JS,
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },

  // Everywhere.
  {
    rules: {
      // Once strings and comments are ignored, 17 of ~42,000 lines were over 180 (55 over 160, 144 over 140).
      // Complexity: 14 functions over 30 in src/ and cli/ (28 over 25). Function length: 6 over 120 lines.
      'max-len': ['error', { code: 180, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true, ignoreComments: true }],
      complexity: ['error', 30],
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }],
      'no-restricted-syntax': ['warn', ...swallowedErrors],
      // Empty catch blocks are reported (as a warning) by the rule above.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: TS,
    rules: {
      // The code's habit: a leading underscore marks a deliberately unused binding, and
      // `const { a, ...rest } = x` drops `a` from `rest`.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `async` without `await` is how Promise-returning interfaces are implemented here (readers,
      // API handlers, fakes), and it turns a synchronous throw into a rejection: dropping `async`
      // would change behaviour, so the rule is off.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Public signatures must not use `any` (also in recommended; stated here so it is not lost).
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests read untyped JSON (API responses, fixtures) and poke at internals on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A test file is one or two `describe` callbacks.
      'max-lines-per-function': 'off',
    },
  },
  {
    files: ['src/compose/**/*.ts'],
    rules: {
      // The loader works on a plain YAML tree that the JSON schema has already validated:
      // `String(v)` on a scalar-or-tree union is deliberate there.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },

  {
    files: ['src/raft/storage/wal.ts', 'src/raft/transport/frame.ts'],
    rules: {
      // Decoders: a number read off disk or the wire is compared with enum members to validate it.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },

  // ---- Exemptions in files this branch may not edit (src/swarm, src/net, cli/swarm). ----
  // Each entry names the violation; delete the entry when the code is fixed. Limits are raised to
  // today's value for that file rather than switched off, so the function cannot grow further.
  ...exempt('src/swarm/stack/stack-spec.ts', { complexity: ['error', 41] }, 'serviceSpec: complexity 41, to be split'),
  ...exempt('src/swarm/manager/updater/updater.ts', { complexity: ['error', 32] }, 'decideUpdate: complexity 32, to be split'),
  ...exempt('src/swarm/ca/certificates.ts', { complexity: ['error', 31] }, 'verifyNodeCertificate: complexity 31, to be split'),
  ...exempt('src/net/overlay/parse.ts', { complexity: ['error', 32] }, 'parseFirewall: complexity 32, to be split'),
  ...exempt('src/swarm/manager/api-server.ts', { 'max-lines-per-function': ['error', { max: 170, skipBlankLines: true, skipComments: true }] }, 'makeRoutes: 170 lines, to be split per resource'),
  ...exempt('cli/swarm/register-services.ts', { 'max-lines-per-function': ['error', { max: 175, skipBlankLines: true, skipComments: true }] }, 'registerServiceCommands: 175 lines of commander declarations, to be split per command'),
  ...exempt(
    ['cli/swarm/services.ts', 'src/swarm/agent/network-agent.ts', 'src/swarm/agent/task-observation.ts', 'src/swarm/daemon/bootstrap.ts', 'src/swarm/manager/secrets-api.ts', 'src/swarm/manager/services-api.ts'],
    { 'max-len': ['error', { code: 205, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true, ignoreComments: true }] },
    '8 lines of 181-205 characters: to be wrapped',
  ),
  ...exempt(
    ['cli/swarm/register-networks.ts', 'cli/swarm/register-services.ts', 'cli/swarm/register-stack.ts', 'src/swarm/ca/certificates.ts', 'src/swarm/store/command.ts', 'src/swarm/store/state.ts', 'src/swarm/store/write-tx.ts'],
    { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
    '9 needless `as` casts: `eslint --fix` removes them (cmd.optsWithGlobals<T>() for the commander ones)',
  ),
  ...exempt(
    ['src/swarm/store/state.ts', 'src/net/dns/dns-table.ts', 'src/net/overlay/parse.ts'],
    { '@typescript-eslint/no-unsafe-argument': 'off', '@typescript-eslint/no-unsafe-return': 'off' },
    '`new Map()` without type arguments (state.ts:144, dns-table.ts:108) and an untyped `.map` over nft JSON (parse.ts:107): add the types',
  ),
  ...exempt('src/swarm/manager/allocator/allocator.ts', { complexity: ['error', 59], 'max-lines-per-function': ['error', { max: 139, skipBlankLines: true, skipComments: true }] }, 'allocate: one pass over networks, services, tasks and nodes (complexity 59, 139 lines): to be split per object kind'),
  ...exempt('src/net/lb/nft-inspect.ts', { complexity: ['error', 34] }, 'parseNftLbJson: walks nft -j output of every object kind (34): to be split per kind'),
  ...exempt('test/lab/swarm-network-updates.test.ts', { 'max-len': ['error', { code: 205, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true, ignoreComments: true }], complexity: ['error', 33] }, 'evidence printers: long one-line summaries of timelines, and the churn checker\'s per-answer classification (33)'),
  ...exempt('test/unit/net/fake-nft.ts', { complexity: ['error', 43] }, 'FakeNftKernel.applyLine: one branch per nft statement the renderer emits (43), a test fake'),
  ...exempt('src/swarm/agent/executor.ts', { 'preserve-caught-error': 'off' }, 'the pull failure is rethrown as "No such image" without { cause }: add it'),
  ...exempt('src/swarm/service-flags.ts', { 'no-useless-assignment': 'off' }, "port(): `let protocol = 'tcp'` is overwritten on every path"),
);

/** A per-file exemption: `files` (one or a list), the rules as they apply there, and why. */
function exempt(files, rules, reason) {
  return [{ name: `exempt: ${reason}`, files: Array.isArray(files) ? files : [files], rules }];
}
