// `scheduled_at` in words, as Resend accepts it ("in 1 hour", "tomorrow at 9am"). A small, closed
// grammar of our own rather than a natural-language date library: every accepted text has one
// meaning, documented here and in docs/emails.md, and anything else is refused (the caller answers
// 422 listing the forms) instead of being guessed at.
//
// The grammar, matched ignoring case, with runs of spaces read as one:
//
//   schedule := "now"
//             | "in" amount unit                       in 1 hour, in 30 minutes, in an hour
//             | ["on"] day ["at"] clock [zone]         tomorrow at 9am, today 17:30, friday at 3pm +02:00
//   amount   := 1 to 6 digits | "a" | "an"
//   unit     := s | sec | secs | second | seconds | min | mins | minute | minutes
//             | h | hr | hrs | hour | hours | d | day | days | w | week | weeks
//   day      := "today" | "tomorrow" | monday | tuesday | ... | sunday
//   clock    := H [":" MM] ["am" | "pm"]  with H from 1 to 12 and am/pm given (a space before am/pm allowed)
//             | H ":" MM                  24-hour, 0:00 to 23:59
//             | "noon"
//   zone     := "utc" | "gmt" | "z" | ["utc" | "gmt"] ("+" | "-") H [[":"] MM]     up to 14:00
//
// Times of day are UTC unless the text carries a zone: "tomorrow at 9am" is 09:00 UTC, "tomorrow
// at 9am +02:00" is 09:00 at UTC+2 (07:00 UTC), and "today" and "tomorrow" are the dates at that
// offset. Named zones ("ET", "Europe/Paris") are not read: they change with daylight saving time.
// A weekday is its next occurrence after today (never today: say "today at ..."). A time of day
// already past ("today at 9am" at noon) is in the past, and a past schedule delivers at once, as
// an ISO time in the past does.

/** The accepted forms, for the message that refuses anything else. */
export const NATURAL_TIME_FORMS = '"now", "in 30 minutes" (seconds, minutes, hours, days, weeks), "today at 5pm", "tomorrow at 9am", "tomorrow at 14:30", "friday at 3pm", each time of day in UTC unless followed by an offset such as +02:00';

const SECOND = 1000;
// A Map, not an object: a unit read from the request must never find an inherited property.
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ...each(['s', 'sec', 'secs', 'second', 'seconds'], SECOND),
  ...each(['min', 'mins', 'minute', 'minutes'], 60 * SECOND),
  ...each(['h', 'hr', 'hrs', 'hour', 'hours'], 3600 * SECOND),
  ...each(['d', 'day', 'days'], 86_400 * SECOND),
  ...each(['w', 'week', 'weeks'], 7 * 86_400 * SECOND),
]);
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const RELATIVE = /^in (\d{1,6}|an?) ([a-z]+)$/;
const DAY_AND_CLOCK = new RegExp(`^(?:on )?(today|tomorrow|${WEEKDAYS.join('|')})(?: at)? (.+)$`);
// Twelve-hour (with am/pm), twenty-four-hour (with minutes), or noon; then what is left is the zone.
const CLOCK = /^(?:(\d{1,2})(?::(\d{2}))? ?(am|pm)|(\d{1,2}):(\d{2})|(noon))(?: ?(.+))?$/;
const ZONE = /^(?:(utc|gmt|z)|(?:(?:utc|gmt) ?)?([+-])(\d{1,2})(?::?(\d{2}))?)$/;

function each(names: string[], ms: number): [string, number][] {
  return names.map((name) => [name, ms]);
}

/** The time `text` names, read at `now`; undefined when the text is not in the grammar above. */
export function parseNaturalTime(text: string, now: Date): Date | undefined {
  const words = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (words === 'now') return new Date(now.getTime());
  const relative = RELATIVE.exec(words);
  if (relative) {
    const unit = UNIT_MS.get(relative[2]!);
    if (unit === undefined) return undefined;
    const amount = relative[1] === 'a' || relative[1] === 'an' ? 1 : Number(relative[1]);
    return new Date(now.getTime() + amount * unit);
  }
  const dated = DAY_AND_CLOCK.exec(words);
  if (!dated) return undefined;
  const clock = clockOf(dated[2]!);
  if (!clock) return undefined;
  return onDay(now, dated[1]!, clock);
}

type Clock = { hour: number; minute: number; offsetMinutes: number };

function clockOf(text: string): Clock | undefined {
  const m = CLOCK.exec(text);
  if (!m) return undefined;
  const offsetMinutes = m[7] === undefined ? 0 : offsetOf(m[7]);
  if (offsetMinutes === undefined) return undefined;
  if (m[6]) return { hour: 12, minute: 0, offsetMinutes };
  if (m[3]) {
    const hour = Number(m[1]);
    const minute = m[2] === undefined ? 0 : Number(m[2]);
    if (hour < 1 || hour > 12 || minute > 59) return undefined;
    return { hour: (hour % 12) + (m[3] === 'pm' ? 12 : 0), minute, offsetMinutes };
  }
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  if (hour > 23 || minute > 59) return undefined;
  return { hour, minute, offsetMinutes };
}

/** Minutes east of UTC, or undefined for a zone outside the grammar (or beyond ±14:00). */
function offsetOf(zone: string): number | undefined {
  const m = ZONE.exec(zone);
  if (!m) return undefined;
  if (m[1]) return 0;
  const hours = Number(m[3]);
  const minutes = m[4] === undefined ? 0 : Number(m[4]);
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return undefined;
  return (m[2] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function onDay(now: Date, day: string, clock: Clock): Date {
  const shift = clock.offsetMinutes * 60 * SECOND;
  // The wall clock at the zone's offset, read with the UTC getters.
  const local = new Date(now.getTime() + shift);
  const weekday = WEEKDAYS.indexOf(day);
  const days = day === 'today' ? 0 : day === 'tomorrow' ? 1 : (weekday - local.getUTCDay() + 7) % 7 || 7;
  const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, clock.hour, clock.minute);
  return new Date(wall - shift);
}
