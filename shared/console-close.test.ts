// Close reasons always fit RFC 6455's 123 bytes and decode back to the same code and (a prefix of the) message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CONSOLE_CLOSE, MAX_CLOSE_REASON_BYTES, closeKindFor, decodeConsoleClose, encodeCloseReason } from './console-close';
import { ERROR_CODES, type ErrorCode } from './errors';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

test('property: any message fits in 123 bytes and decodes back', () => {
  fc.assert(
    fc.property(fc.constantFrom(...codes), fc.string({ unit: 'binary', maxLength: 400 }), (code, message) => {
      const reason = encodeCloseReason(code, message);
      assert.ok(Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES, reason);
      const kind = closeKindFor(code);
      const decoded = decodeConsoleClose(CONSOLE_CLOSE[kind], reason);
      assert.equal(decoded.kind, kind);
      assert.equal(decoded.code, code);
      if (decoded.message.endsWith('…')) assert.ok(message.startsWith(decoded.message.slice(0, -1).trimEnd()));
      else assert.equal(decoded.message, message);
    }),
    { numRuns: 1000 },
  );
});

test('close kinds for the console errors', () => {
  assert.equal(CONSOLE_CLOSE[closeKindFor('CONSOLE_IN_USE')], 4005);
  assert.equal(CONSOLE_CLOSE[closeKindFor('CONSOLE_FORBIDDEN')], 4003);
  assert.equal(CONSOLE_CLOSE[closeKindFor('CERT_CHANGED')], 4008);
  assert.equal(closeKindFor('INTERNAL'), 'error');
  assert.deepEqual(decodeConsoleClose(1006, ''), { kind: 'error', code: 'CONSOLE_ERROR', message: ERROR_CODES.CONSOLE_ERROR });
  assert.equal(decodeConsoleClose(1000, '').kind, 'normal');
});
