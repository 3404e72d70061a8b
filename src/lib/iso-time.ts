// `new Date(ms).toISOString()` for moments that come in order (a key's latest use, request after
// request): the date and time down to the second are formatted once per second, the
// milliseconds appended. V8 formats a Date through snprintf, about a microsecond per call.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** The ISO 8601 form of an epoch-milliseconds moment, exactly as `Date#toISOString` writes it. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    // "YYYY-MM-DDTHH:MM:SS" (years 0 to 9999; a six-digit year would not be cut at 19).
    const text = new Date(second * 1000).toISOString();
    if (text.length !== 24) return new Date(ms).toISOString();
    cachedSecond = second;
    cachedPrefix = text.slice(0, 19);
  }
  const millis = ms - second * 1000;
  return `${cachedPrefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}
