// Lint rules that catch what the compiler does not: promises nobody awaits, import cycles, switches
// that miss a case. Type-checked (typescript-eslint's project service); run by `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { readdirSync } from 'node:fs';

// Service boundaries (ARCHITECTURE.md): a service is used through its index.ts (its interface and
// factory), never through its internals, and some services may not depend on others at all.
const SERVICES = ['frontend', 'history', 'matching', 'visibility', 'namespace'];
const SRC_DIRS = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
/** who may not import whom at all (not even the index) */
const FORBIDDEN = {
  visibility: ['history', 'frontend', 'matching', 'server'],
  history: ['frontend', 'matching', 'server'],
  matching: ['frontend', 'visibility', 'server'],
  namespace: ['frontend', 'history', 'matching', 'visibility', 'server'],
  frontend: ['server'],
};
const SERVICE_ZONES = [
  ...SERVICES.flatMap((service) =>
    SRC_DIRS.filter((dir) => dir !== service).map((dir) => ({
      target: `./src/${dir}`,
      from: `./src/${service}`,
      except: ['./index.ts'],
      message: `Use src/${service} through its index.ts (its interface and factory), not its internals.`,
    })),
  ),
  ...Object.entries(FORBIDDEN).flatMap(([service, banned]) =>
    banned.map((other) => ({
      target: `./src/${service}`,
      from: `./src/${other}`,
      message: `src/${service} may not depend on src/${other} (see ARCHITECTURE.md): pass what it needs in through a port.`,
    })),
  ),
];

// persistence is the lower layer: the schema engine uses its admin contract, never the reverse
const LAYER_ZONES = [
  {
    target: './src/persistence',
    from: './src/schema',
    message: 'src/persistence may not import src/schema (the admin contract lives in src/persistence/schema-admin.ts)',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'releases/**', 'src/ui/web/**', 'test/fixtures/releases/**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver': { typescript: { project: './tsconfig.json' } },
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() report their own failures; awaiting them at top level is not the idiom
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-namespace': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...SERVICE_ZONES, ...LAYER_ZONES] }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // tests match terminal colour escapes in CLI output
  { files: ['test/**/*.ts'], rules: { 'no-control-regex': 'off' } },
);
