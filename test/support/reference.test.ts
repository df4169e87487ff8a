import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { referenceSkip, referencePath, REFERENCE_DIR } from './reference.ts';

test('reference folder is found beside the repo or its absence is explained', { skip: referenceSkip() }, () => {
  assert.ok(existsSync(referencePath('diffusers/README.md')), `expected diffusers/README.md under ${REFERENCE_DIR}`);
});
