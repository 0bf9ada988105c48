import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSexp, typedValue, unescapeDump, xapiDate } from './values';
import { parseDump } from './dump';

test('S-expressions: sets, maps, escapes; other text is not one', () => {
  assert.deepEqual(parseSexp("('a' 'b c')"), ['a', 'b c']);
  assert.deepEqual(parseSexp("(('k' 'v') ('it\\'s' 'x'))"), [['k', 'v'], ["it's", 'x']]);
  assert.equal(parseSexp("('a'"), undefined);
  assert.equal(parseSexp('(plain)'), undefined);
});

test('typed values follow the field tables', () => {
  assert.deepEqual(typedValue('other_config', '()'), {});
  assert.deepEqual(typedValue('tags', '()'), []);
  assert.deepEqual(typedValue('platform', "(('acpi' '1'))"), { acpi: '1' });
  assert.equal(typedValue('memory_static_max', '1073741824'), 1073741824);
  assert.equal(typedValue('is_a_template', 'false'), false);
  assert.equal(typedValue('name_label', 'true'), 'true');
  assert.equal(typedValue('last_booted_record', "('struct' ('uuid' 'x'))"), "('struct' ('uuid' 'x'))");
  assert.deepEqual(typedValue('VCPUs_utilisation', "(('0' '0.5'))"), { '0': 0.5 });
});

test('dump whitespace escapes, both writers', () => {
  assert.equal(unescapeDump('a%.b%_c%td%ne%rf%%g'), 'a b c\td\ne\rf%g');
});

test('dates in xapi form', () => {
  assert.equal(xapiDate(new Date('2012-10-17T15:30:30.123Z')), '20121017T15:30:30Z');
});

test('dump rows: __ becomes _, bookkeeping attributes dropped, unknown tables ignored', () => {
  const rows = parseDump('<database><table name="vm"><row ref="OpaqueRef:1" __ctime="1" _ref="OpaqueRef:1" name__label="a%.b" memory__static_max="5" tags="(\'x\')"/></table><table name="blob"><row ref="OpaqueRef:2"/></table></database>');
  assert.deepEqual(rows, [{ cls: 'VM', ref: 'OpaqueRef:1', rec: { name_label: 'a b', memory_static_max: 5, tags: ['x'] } }]);
  assert.throws(() => parseDump('<html/>'));
});
