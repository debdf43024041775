// A person's facts in the window's language: sex, age.
import { age, sexOf } from "./format";
import { plural, t } from "./i18n";

/** A stored sex in the window's language; anything unknown as it was written. */
export function sexWords(stored: string | null | undefined): string | null {
  const s = sexOf(stored);
  return s ? t(s === "female" ? "sex_female" : "sex_male") : stored || null;
}

/** "62 года" from a birthday, or null. */
export function ageWords(birthday: string | null | undefined, now = Date.now()): string | null {
  const years = birthday ? age(birthday, now) : null;
  return years === null ? null : plural("years", years);
}
