/**
 * Dates as CUCM's platform CLI prints them: the OS tools are Java, so `show cert` validity and
 * `show itl`'s "last modified on" read like `Date.toString()` ("Fri Mar 06 19:45:13 CET 2015",
 * decision 031 §1 and §9). trustlab prints UTC.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** Java's `Date.toString()` in UTC: `Sun Jul 08 13:05:19 UTC 2018`. */
export function javaDate(d: Date): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

