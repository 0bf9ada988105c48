/**
 * XAPI failures as the simulator raises them: a code and a list of string params, exactly as xapi puts
 * them on the wire (`ErrorDescription: [code, ...params]` in XML-RPC, `{message: code, data: params}`
 * in JSON-RPC). Codes and param lists follow `ocaml/xapi-consts/api_errors.ml` and the call sites
 * quoted where they are raised.
 */

/** A XAPI API error. */
export class XapiFailure extends Error {
  readonly code: string;
  readonly params: string[];

  constructor(code: string, params: string[] = []) {
    super(`${code}(${params.join(', ')})`);
    this.name = 'XapiFailure';
    this.code = code;
    this.params = params;
  }
}

/** Shorthand for `throw new XapiFailure(...)` in expressions. */
export function fail(code: string, ...params: string[]): never {
  throw new XapiFailure(code, params);
}
