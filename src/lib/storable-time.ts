// PostgreSQL's timestamps stop at year 0 and past 294276, and date arithmetic on the far ends
// overflows: a query with such a bound fails as a 500. Bounds users give are held to years that
// mean something for a mail server, with room for any time zone offset.

export const STORABLE_YEARS = 'between 1970 and 9998';

/** True when the ISO date or date-time `text` falls in a year Postgate accepts as a query bound. */
export function isStorableYear(text: string): boolean {
  const year = new Date(text).getUTCFullYear();
  return year >= 1970 && year <= 9998;
}
