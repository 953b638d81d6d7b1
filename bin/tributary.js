#!/usr/bin/env node
// The `tributary` command. Its code is bundled into dist/cli/ by `npm run build` (which `npm ci`
// runs through `prepare`); see scripts/bundle-cli.mjs for why.
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules it loads in a cache on disk, so later starts skip compiling.
module.enableCompileCache?.();
import('../dist/cli/main.js');
