// A small message catalog: every string a person reads comes from i18n/<locale>.json.
// Elements carry their message key in data-i18n (text) or data-i18n-attr
// ("attr:key;attr:key"), so switching the language re-renders the whole page.
//
// Citizen pages speak six languages. Staff pages (the console, the scheduler,
// the supervisor's screens) speak Korean and English only: their keys start with
// one of STAFF_KEY_PREFIXES and exist only in ko.json and en.json
// (tests/unit/test_catalogs.py holds every catalog to this rule).

/** Locales with a catalog in ../i18n/ for the citizen pages. */
export const SUPPORTED_LOCALES = Object.freeze(['ko', 'en', 'zh', 'ja', 'vi', 'mn']);
/** Locales of the staff pages. */
export const STAFF_LOCALES = Object.freeze(['ko', 'en']);
export const STAFF_KEY_PREFIXES = Object.freeze(['staff.', 'scheduler.', 'supervisor.']);
export const DEFAULT_LOCALE = 'ko';
const FALLBACK_LOCALE = 'en';
const STORAGE_KEY = 'dasan.locale';

/** Each language named in itself, so a reader finds theirs whatever is shown. */
const ENDONYMS = Object.freeze({
  ko: '한국어',
  en: 'English',
  zh: '中文',
  ja: '日本語',
  vi: 'Tiếng Việt',
  mn: 'Монгол хэл',
});

/** The switcher names the script where a language has two: the catalog is simplified. */
const SWITCHER_NAMES = Object.freeze({ zh: '简体中文' });

/** The page's lang attribute per locale (fonts and screen readers pick by it). */
const LANG_TAGS = Object.freeze({ zh: 'zh-Hans' });

const catalogs = new Map();
const listeners = new Set();
let current = DEFAULT_LOCALE;

let offered = SUPPORTED_LOCALES; // the locales this page offers (initI18n)

/**
 * The catalog for one BCP 47 tag, or null: "zh-CN", "zh-Hans-CN", "zh-TW" -> zh
 * (only simplified Chinese is written, and it serves every Chinese reader
 * better than a language they may not read), "mn-MN" -> mn, "en-GB" -> en.
 */
export function localeOf(tag, locales = SUPPORTED_LOCALES) {
  const primary = String(tag || '').trim().toLowerCase().replace(/_/g, '-').split('-')[0];
  return locales.includes(primary) ? primary : null;
}

/** The first of the reader's languages that `locales` has, else Korean. */
export function pickLocale(preferred, locales = SUPPORTED_LOCALES) {
  for (const tag of preferred || []) {
    const locale = localeOf(tag, locales);
    if (locale) {
      return locale;
    }
  }
  return locales.includes(DEFAULT_LOCALE) ? DEFAULT_LOCALE : locales[0];
}

export function endonym(code) {
  return ENDONYMS[code] || code;
}

export function currentLocale() {
  return current;
}

async function loadCatalog(locale) {
  if (!catalogs.has(locale)) {
    const url = new URL(`../i18n/${locale}.json`, import.meta.url);
    const response = await fetch(url);
    if (!response.ok) {
      throw new Error(`cannot load ${url}: HTTP ${response.status}`);
    }
    catalogs.set(locale, await response.json());
  }
  return catalogs.get(locale);
}

function lookup(key) {
  for (const locale of [current, FALLBACK_LOCALE]) {
    const catalog = catalogs.get(locale);
    if (catalog && Object.hasOwn(catalog, key)) {
      return catalog[key];
    }
  }
  return key;
}

/** Whether some catalog has a message for `key` (e.g. for an error code). */
export function hasMessage(key) {
  return [current, FALLBACK_LOCALE].some((locale) => {
    const catalog = catalogs.get(locale);
    return Boolean(catalog) && Object.hasOwn(catalog, key);
  });
}

/**
 * The message `key` in the current locale with {name} placeholders filled.
 * A parameter given as {key: 'other.key'} is itself translated, and one given as
 * {moment: iso, timeZone} is a date and time written the reader's way; both
 * follow later language switches.
 */
export function t(key, params = {}) {
  return lookup(key).replace(/\{(\w+)\}/g, (whole, name) => {
    if (!Object.hasOwn(params, name)) {
      return whole;
    }
    const value = params[name];
    if (value && typeof value === 'object' && typeof value.key === 'string') {
      return t(value.key, value.params || {});
    }
    if (value && typeof value === 'object' && typeof value.moment === 'string') {
      return formatMoment(value.moment, value.timeZone);
    }
    return String(value);
  });
}

function renderElement(element) {
  const key = element.dataset.i18n;
  if (key) {
    const params = element.dataset.i18nParams ? JSON.parse(element.dataset.i18nParams) : {};
    element.textContent = t(key, params);
  }
  const attrs = element.dataset.i18nAttr;
  if (attrs) {
    for (const pair of attrs.split(';')) {
      const [attr, attrKey] = pair.split(':').map((part) => part.trim());
      if (attr && attrKey) {
        element.setAttribute(attr, t(attrKey));
      }
    }
  }
}

/** Render every element under `root` that names a message key. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n], [data-i18n-attr]')) {
    renderElement(element);
  }
}

/** Show message `key` in `element`; it follows later language switches. */
export function setMessage(element, key, params = {}) {
  element.dataset.i18n = key;
  element.dataset.i18nParams = JSON.stringify(params);
  renderElement(element);
}

export function clearMessage(element) {
  delete element.dataset.i18n;
  delete element.dataset.i18nParams;
  element.textContent = '';
}

/** Call `listener(locale)` after each language switch (for text built in code). */
export function onLocaleChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function rememberedLocale() {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    return offered.includes(saved) ? saved : null;
  } catch {
    return null; // storage is disabled in some webviews
  }
}

function rememberLocale(locale) {
  try {
    window.localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // not remembered; the switch still works for this page
  }
}

export async function setLocale(locale) {
  const chosen = offered.includes(locale) ? locale : pickLocale([], offered);
  await Promise.all([loadCatalog(chosen), loadCatalog(FALLBACK_LOCALE)]);
  current = chosen;
  document.documentElement.lang = LANG_TAGS[chosen] || chosen;
  translatePage();
  for (const listener of listeners) {
    listener(chosen);
  }
}

/**
 * Pick the locale (remembered choice, then the browser's languages), load it,
 * translate the page and wire the visible language `switcher` (<select>), which
 * lists `locales`, each named in itself.
 */
export async function initI18n(switcher, { locales = SUPPORTED_LOCALES } = {}) {
  offered = Object.freeze([...locales]);
  const initial = rememberedLocale() || pickLocale(navigator.languages || [navigator.language], offered);
  if (switcher) {
    switcher.replaceChildren(
      ...offered.map((code) => {
        const option = document.createElement('option');
        option.value = code;
        option.lang = LANG_TAGS[code] || code;
        option.textContent = SWITCHER_NAMES[code] || endonym(code);
        return option;
      }),
    );
    switcher.value = initial;
    switcher.addEventListener('change', async () => {
      rememberLocale(switcher.value);
      await setLocale(switcher.value);
    });
  }
  await setLocale(initial);
  if (switcher) {
    switcher.value = currentLocale();
  }
}

/**
 * The catalog key and parameters that explain a wire error `code` to a person;
 * an unknown code falls back to the server's own sentence.
 */
export function errorMessage(code, serverMessage) {
  const key = `error.${code}`;
  if (hasMessage(key)) {
    return { key, params: {} };
  }
  return { key: 'error.other', params: { message: serverMessage || code } };
}

/**
 * An element that shows one message at a time (e.g. the page's aria-live error
 * line), with the message's code in data-code for styling and tests.
 */
export class MessageArea {
  constructor(element) {
    this.element = element;
  }

  get code() {
    return this.element.dataset.code || null;
  }

  show(key, params = {}, code = key) {
    this.element.dataset.code = code;
    setMessage(this.element, key, params);
  }

  /** Explain a {code, message} error from an ack (AckError). */
  showError(err) {
    const { key, params } = errorMessage(err.code, err.message);
    this.show(key, { ...params, ...(err.params || {}) }, err.code);
  }

  clear(...onlyCodes) {
    if (onlyCodes.length === 0 || onlyCodes.includes(this.code)) {
      delete this.element.dataset.code;
      clearMessage(this.element);
    }
  }
}

/**
 * The locale to give Intl: the page's, when this browser knows how to write dates
 * and numbers in it (many lack Mongolian), else one that writes 24-hour times.
 */
export function intlLocale() {
  return Intl.DateTimeFormat.supportedLocalesOf([current]).length > 0 ? current : 'en-GB';
}

function formatter(options, timeZone) {
  try {
    return new Intl.DateTimeFormat(intlLocale(), { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(intlLocale(), options); // an unknown time zone
  }
}

/**
 * A moment shown in the reader's language, in the center's time zone. Where the
 * browser has no calendar words for the language, digits only: 2026.11.28 09:00 (GMT+9).
 */
export function formatMoment(iso, timeZone) {
  const date = new Date(iso);
  if (intlLocale() !== current) {
    const parts = formatter(
      {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      },
      timeZone,
    ).formatToParts(date);
    const part = (type) => (parts.find((each) => each.type === type) || { value: '' }).value;
    return `${part('year')}.${part('month')}.${part('day')} ${part('hour')}:${part('minute')} (${part('timeZoneName')})`;
  }
  return formatter(
    {
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    },
    timeZone,
  ).format(date);
}

/**
 * A cue in the tab strip for a reader who is on another tab or app: while the
 * page is hidden its title says what happened (message `key`), until the reader
 * looks again. Every event that could ring a bell is seen instead (nothing here
 * depends on hearing). Returns whether the title changed.
 */
export function titleCue(key, params = {}) {
  const title = document.querySelector('title');
  if (!title || !document.hidden) {
    return false;
  }
  if (title.dataset.restingKey === undefined) {
    title.dataset.restingKey = title.dataset.i18n || '';
    const restore = () => {
      if (document.hidden) {
        return;
      }
      document.removeEventListener('visibilitychange', restore);
      const resting = title.dataset.restingKey;
      delete title.dataset.restingKey;
      if (resting) {
        setMessage(title, resting);
      }
    };
    document.addEventListener('visibilitychange', restore);
  }
  setMessage(title, key, params);
  return true;
}

const CUE_MS = 4000;
const cueTimers = new WeakMap();

/** Make `element` stand out for a moment (a changed status, say): seen, not heard. */
export function flash(element) {
  clearTimeout(cueTimers.get(element));
  element.classList.remove('cue');
  void element.offsetWidth; // restart the animation when it is already running
  element.classList.add('cue');
  cueTimers.set(
    element,
    setTimeout(() => element.classList.remove('cue'), CUE_MS),
  );
}
