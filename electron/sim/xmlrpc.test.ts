import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32, decodeCall, encodeFailure, encodeSuccess, encodeValue } from './xmlrpc';

test('decodes every XML-RPC type xapi clients send', () => {
  const call = decodeCall(`<?xml version="1.0"?>
<methodCall><methodName>event.from</methodName><params>
<param><value>OpaqueRef:s</value></param>
<param><value><array><data><value><string>vm</string></value><value>host</value></data></array></value></param>
<param><value><string></string></value></param>
<param><value><double>60.1</double></value></param>
<param><value><struct><member><name>a</name><value><i4>-3</i4></value></member><member><name>b</name><value><boolean>1</boolean></value></member></struct></value></param>
<param><value><dateTime.iso8601>20121017T15:30:30Z</dateTime.iso8601></value></param>
<param><value>a &amp; &lt;b&gt; &#65;</value></param>
</params></methodCall>`);
  assert.equal(call.method, 'event.from');
  assert.deepEqual(call.params, ['OpaqueRef:s', ['vm', 'host'], '', 60.1, { a: -3, b: true }, '20121017T15:30:30Z', 'a & <b> A']);
});

test('rejects malformed or unsupported input', () => {
  for (const bad of [
    '<methodCall><methodName>x</methodName><params><param><value><int>1.5</int></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><nil/></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName></methodCal>',
    '<!DOCTYPE x><methodCall/>',
    '<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>',
  ]) assert.throws(() => decodeCall(bad), bad);
});

test('encodes as xapi: int64 as strings, floats as double, dates typed, Int32 as int', () => {
  assert.equal(encodeValue({ memory: 5, progress: 1, created: '20121017T15:30:30Z', ok: true }),
    '<value><struct><member><name>memory</name><value>5</value></member><member><name>progress</name><value><double>1</double></value></member><member><name>created</name><value><dateTime.iso8601>20121017T15:30:30Z</dateTime.iso8601></value></member><member><name>ok</name><value><boolean>1</boolean></value></member></struct></value>');
  assert.equal(encodeValue(new Int32(3)), '<value><int>3</int></value>');
  assert.equal(encodeValue('<&>'), '<value>&lt;&amp;&gt;</value>');
  assert.ok(encodeSuccess('x').startsWith('<methodResponse>'));
  assert.ok(encodeFailure('E', ['p']).includes('<name>ErrorDescription</name><value><array><data><value>E</value><value>p</value></data></array></value>'));
});
