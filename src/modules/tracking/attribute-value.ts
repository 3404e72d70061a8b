// The URL a browser follows for an `href` as written: character references decoded the way the
// HTML tokenizer decodes them in attribute values (`?a=1&amp;b=2` is `?a=1&b=2`). Only the
// references a URL plausibly holds are decoded: numeric ones and amp, lt, gt, quot, apos. For any
// other named reference the answer is "not sure" (undefined), and the caller leaves the link as
// it is: an untracked link is harmless, a tracked one that redirects somewhere slightly
// different is not.

/**
 * The named references the tokenizer also accepts without a semicolon (the "legacy" ones). In
 * an attribute value such a name is decoded only when neither a letter, a digit nor `=` follows
 * it, so `&copy=1` and `&notify` stay text; whether `&copy/` is one needs this list.
 */
const LEGACY = new Set(
  (
    'AElig AMP Aacute Acirc Agrave Aring Atilde Auml COPY Ccedil ETH Eacute Ecirc Egrave Euml GT Iacute Icirc Igrave Iuml LT ' +
    'Ntilde Oacute Ocirc Ograve Oslash Otilde Ouml QUOT REG THORN Uacute Ucirc Ugrave Uuml Yacute aacute acirc acute aelig ' +
    'agrave amp aring atilde auml brvbar ccedil cedil cent copy curren deg divide eacute ecirc egrave eth euml frac12 frac14 ' +
    'frac34 gt iacute icirc iexcl igrave iquest iuml laquo lt macr micro middot nbsp not ntilde oacute ocirc ograve ordf ordm ' +
    'oslash otilde ouml para plusmn pound quot raquo reg sect shy sup1 sup2 sup3 szlig thorn times uacute ucirc ugrave uml uuml ' +
    'yacute yen yuml'
  ).split(' '),
);

/** The references decoded here, by name (with or without the semicolon, as the tokenizer allows). */
const DECODED: Readonly<Record<string, string>> = { amp: '&', AMP: '&', lt: '<', LT: '<', gt: '>', GT: '>', quot: '"', QUOT: '"', apos: "'" };

const REFERENCE = /&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|([a-zA-Z][a-zA-Z0-9]*)(;?))/g;

/** The attribute value with its character references decoded, or undefined when unsure. */
export function decodeAttributeValue(raw: string): string | undefined {
  if (!raw.includes('&')) return raw;
  let unsure = false;
  const decoded = raw.replace(REFERENCE, (match, hex: string | undefined, dec: string | undefined, name: string | undefined, semicolon: string, offset: number) => {
    if (hex !== undefined || dec !== undefined) {
      const code = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec!, 10);
      // Controls, surrogates and the C1 range (which browsers remap from windows-1252): unsure.
      if (!(code >= 0x20 && code <= 0x10ffff) || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff)) {
        unsure = true;
        return match;
      }
      return String.fromCodePoint(code);
    }
    const known = DECODED[name!];
    if (semicolon === ';') {
      if (known === undefined) unsure = true;
      return known ?? match;
    }
    // No semicolon: the longest legacy name the run starts with, and what follows it, decide.
    const legacy = longestLegacyPrefix(name!);
    if (legacy === undefined) return match;
    const after = raw[offset + 1 + legacy.length];
    if (legacy.length < name!.length || after === '=') return match;
    const plain = DECODED[legacy];
    if (plain === undefined) unsure = true;
    return plain ?? match;
  });
  return unsure ? undefined : decoded;
}

function longestLegacyPrefix(run: string): string | undefined {
  for (let n = Math.min(run.length, 6); n >= 2; n--) {
    const candidate = run.slice(0, n);
    if (LEGACY.has(candidate)) return candidate;
  }
  return undefined;
}
