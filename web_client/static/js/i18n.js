// A small message catalog: every string a person reads comes from i18n/<locale>.json.
// Elements carry their message key in data-i18n (text) or data-i18n-attr
// ("attr:key;attr:key"), so switching the language re-renders the whole page.

/** Locales with a catalog in ../i18n/; add a file and a code here to add one. */
export const SUPPORTED_LOCALES = Object.freeze(['ko', 'en']);
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
  mn: 'Монгол',
});

const catalogs = new Map();
const listeners = new Set();
let current = DEFAULT_LOCALE;

/** The first supported locale in the reader's preference list, else Korean. */
export function pickLocale(preferred) {
  for (const tag of preferred || []) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (SUPPORTED_LOCALES.includes(primary)) {
      return primary;
    }
  }
  return DEFAULT_LOCALE;
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
 * A parameter given as {key: 'other.key'} is itself translated.
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
    return SUPPORTED_LOCALES.includes(saved) ? saved : null;
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
  const chosen = SUPPORTED_LOCALES.includes(locale) ? locale : DEFAULT_LOCALE;
  await Promise.all([loadCatalog(chosen), loadCatalog(FALLBACK_LOCALE)]);
  current = chosen;
  document.documentElement.lang = chosen;
  translatePage();
  for (const listener of listeners) {
    listener(chosen);
  }
}

/**
 * Pick the locale (remembered choice, then the browser's languages), load it,
 * translate the page and wire the visible language `switcher` (<select>).
 */
export async function initI18n(switcher) {
  const initial = rememberedLocale() || pickLocale(navigator.languages || [navigator.language]);
  if (switcher) {
    switcher.replaceChildren(
      ...SUPPORTED_LOCALES.map((code) => {
        const option = document.createElement('option');
        option.value = code;
        option.lang = code;
        option.textContent = endonym(code);
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

/** A moment shown in the reader's language, in the center's time zone. */
export function formatMoment(iso, timeZone) {
  const options = {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat(currentLocale(), { ...options, timeZone }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(currentLocale(), options).format(new Date(iso));
  }
}
