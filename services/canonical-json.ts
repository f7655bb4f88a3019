/** RFC 8785 canonical JSON (the `canonicalize` package): the same value always gives the same text. */
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare an ES default export, which
// NodeNext resolution reads as `.default`; at run time the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** The canonical JSON text of `value`; undefined for a value JSON cannot hold (such as undefined itself). */
export function canonicalJson(value: unknown): string | undefined {
  return canonicalize(value);
}
