// Phones as people read them: "+7 916 123 45 01", "+86 138 0013 8001" — formatted for display
// by libphonenumber-js (Google's numbering plans); stored and dialled as written. A number
// without a country code is read as one of the desk's language's country (Russia, China,
// the UK); what is not a possible number is shown as typed.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import type { Lang } from "./i18n";

const home: Record<Lang, CountryCode> = { ru: "RU", zh: "CN", en: "GB" };

export function phoneShown(raw: string, lang: Lang): string {
  const p = parsePhoneNumberFromString(raw, home[lang]);
  return p && p.isPossible() ? p.formatInternational() : raw;
}
