/** One jest project per package; TypeScript is transformed by SWC (type-checking is `npm run typecheck`). */
const path = require('node:path');

const packages = ['packages/engine', 'packages/ill', 'packages/store-sqlite', 'packages/store-postgres', 'packages/store-kurrentdb', 'packages/nats', 'packages/deployment', 'services/api', 'services/cli'];

const moduleNameMapper = {
  '^@interlend/engine$': '<rootDir>/packages/engine/src/index.ts',
  '^@interlend/engine/testing$': '<rootDir>/packages/engine/src/testing/index.ts',
  '^@interlend/engine/errors$': '<rootDir>/packages/engine/src/errors.ts',
  '^@interlend/ill$': '<rootDir>/packages/ill/src/index.ts',
  '^@interlend/ill/testing$': '<rootDir>/packages/ill/src/testing/index.ts',
  '^@interlend/ill/limits$': '<rootDir>/packages/ill/src/limits.ts',
  '^@interlend/store-sqlite$': '<rootDir>/packages/store-sqlite/src/index.ts',
  '^@interlend/store-postgres$': '<rootDir>/packages/store-postgres/src/index.ts',
  '^@interlend/store-postgres/testing$': '<rootDir>/packages/store-postgres/src/testing/index.ts',
  '^@interlend/store-kurrentdb$': '<rootDir>/packages/store-kurrentdb/src/index.ts',
  '^@interlend/nats$': '<rootDir>/packages/nats/src/index.ts',
  '^@interlend/nats/testing$': '<rootDir>/packages/nats/src/testing/index.ts',
  '^@interlend/deployment$': '<rootDir>/packages/deployment/src/index.ts',
  '^@interlend/deployment/local$': '<rootDir>/packages/deployment/src/local.ts',
  '^@interlend/api$': '<rootDir>/services/api/src/index.ts',
};

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  projects: packages.map((dir) => ({
    displayName: require(path.join(__dirname, dir, 'package.json')).name,
    rootDir: __dirname,
    testMatch: [`<rootDir>/${dir}/src/**/*.test.ts`],
    testEnvironment: 'node',
    moduleNameMapper,
    // uuid 14 ships ESM only: let SWC turn it into CommonJS for jest.
    transform: { '^.+\\.(t|j)s$': swc },
    transformIgnorePatterns: ['/node_modules/(?!uuid/)'],
  })),
};
