import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, describeError, BugError } from '../src/errors.ts';

test('a user error prints what, where and fix on one line without a stack', () => {
  const e = new InputError({ what: 'width 500 is not a multiple of 8', where: 'doc.json → width', fix: 'use 496 or 504' });
  const text = describeError(e);
  assert.equal(text, 'error: doc.json → width: width 500 is not a multiple of 8 (fix: use 496 or 504)');
  assert.ok(!text.includes('    at '));
});

test('several problems are listed one per line', () => {
  const e = new InputError([{ what: 'a' }, { what: 'b', where: 'x' }]);
  assert.equal(e.message, '2 problems:\n  - a\n  - x: b');
});

test('a bug error keeps its stack and asks for a report', () => {
  const text = describeError(new BugError('shape mismatch'));
  assert.match(text, /internal error \(please report\): shape mismatch/);
  assert.match(text, /at /);
});
