// Writes docs/lifecycle.md from the machine (run after `npm run build`).
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { lifecycleMarkdown } = require('../packages/ill/dist/index.js');
writeFileSync(join(__dirname, '..', 'docs', 'lifecycle.md'), lifecycleMarkdown());
console.log('wrote docs/lifecycle.md');
