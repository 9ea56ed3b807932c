// The citizen's satisfaction question at the end of a session: five big buttons
// (1 very dissatisfied to 5 very satisfied), an optional comment, sent once with
// the one-time token the session's end gave (POST /api/feedback). Works with no
// sound and with the keyboard alone; every word comes from the feedback.* keys.
//
//   import { FeedbackForm } from './feedback.js';
//   const form = new FeedbackForm(container, { token, onDone });
//   // onDone('sent' | 'skipped' | 'closed') when the citizen is finished with it
//   form.destroy();

import { MessageArea, hasMessage, translatePage } from './i18n.js';

const SCORES = Object.freeze([1, 2, 3, 4, 5]);
const COMMENT_MAX = 1000;
const FEEDBACK_PATH = '/api/feedback';
let counter = 0;

const STYLE = `
.feedback { margin: 0 0 1rem; padding: 1rem; border-radius: var(--radius, 12px); background: var(--surface, #fff); }
.feedback h2 { margin: 0 0 0.5rem; font-size: 1.15rem; }
.feedback fieldset { border: 0; margin: 0 0 0.75rem; padding: 0; min-width: 0; }
.feedback legend { font-weight: 700; margin-bottom: 0.5rem; }
.feedback .scores { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0.4rem; }
.feedback .score { position: relative; }
.feedback .score input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.feedback .score label { display: flex; flex-direction: column; align-items: center; justify-content: center;
  gap: 0.2rem; min-height: 76px; padding: 0.35rem 0.2rem; border: 2px solid var(--line, #6b7280);
  border-radius: 12px; background: var(--surface, #fff); text-align: center; cursor: pointer;
  font-size: 0.8rem; font-weight: 600; line-height: 1.2; overflow-wrap: anywhere; }
.feedback .score .number { font-size: 1.6rem; font-weight: 800; line-height: 1; }
.feedback .score input:checked + label { border-color: var(--brand, #0b4ea2); background: var(--brand, #0b4ea2);
  color: var(--on-brand, #fff); }
.feedback .score input:focus-visible + label { outline: 3px solid var(--focus-ink, #111827); outline-offset: 2px;
  box-shadow: 0 0 0 7px var(--focus, #f59e0b); }
.feedback textarea { width: 100%; }
.feedback .thanks { margin: 0; font-size: 1.1rem; font-weight: 700; color: var(--ok, #166534); }
@media (max-width: 359px) { .feedback .scores { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
`;

function injectStyle() {
  if (!document.getElementById('dasan-feedback-style')) {
    const style = document.createElement('style');
    style.id = 'dasan-feedback-style';
    style.textContent = STYLE;
    document.head.append(style);
  }
}

function element(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export class FeedbackForm {
  constructor(container, { token, onDone = () => {} }) {
    injectStyle();
    this.token = token;
    this.onDone = onDone;
    this.id = `feedback-${(counter += 1)}`;
    this.root = this.build();
    container.append(this.root);
    translatePage(this.root);
  }

  build() {
    const f = (name) => `${this.id}-${name}`;
    this.radios = SCORES.map((score) =>
      element('input', { type: 'radio', name: f('score'), value: String(score), id: f(`s${score}`) }),
    );
    const buttons = this.radios.map((radio) =>
      element('div', { class: 'score' }, [
        radio,
        element('label', { for: radio.id }, [
          element('span', { class: 'number', 'aria-hidden': 'true' }, [radio.value]),
          element('span', { 'data-i18n': `feedback.score.${radio.value}` }),
        ]),
      ]),
    );
    this.comment = element('textarea', {
      id: f('comment'),
      rows: '3',
      maxlength: String(COMMENT_MAX),
      'aria-describedby': f('hint'),
    });
    this.send = element('button', { type: 'submit', class: 'primary', 'data-i18n': 'feedback.send' });
    this.skip = element('button', { type: 'button', class: 'secondary', 'data-i18n': 'feedback.skip' });
    const problem = element('p', { class: 'error', role: 'alert', 'aria-live': 'assertive' });
    this.problem = new MessageArea(problem);
    this.form = element('form', { novalidate: '' }, [
      element('fieldset', {}, [
        element('legend', { 'data-i18n': 'feedback.question' }),
        element('div', { class: 'scores' }, buttons),
      ]),
      element('div', { class: 'field' }, [
        element('label', { for: this.comment.id, 'data-i18n': 'feedback.comment' }),
        this.comment,
        element('p', { id: f('hint'), class: 'hint', 'data-i18n': 'feedback.comment.hint' }),
      ]),
      problem,
      element('div', { class: 'actions' }, [this.send, this.skip]),
    ]);
    this.thanks = element('p', { class: 'thanks', role: 'status', 'aria-live': 'polite' });
    const root = element('section', { class: 'feedback', 'aria-labelledby': f('heading') }, [
      element('h2', { id: f('heading'), 'data-i18n': 'feedback.heading' }),
      this.form,
      this.thanks,
    ]);
    root.dataset.state = 'asking';
    this.form.addEventListener('submit', (event) => this.submit(event));
    this.form.addEventListener('change', () => this.problem.clear('feedback.error.choose'));
    this.skip.addEventListener('click', () => this.finish('skipped', null));
    return root;
  }

  score() {
    const checked = this.radios.find((radio) => radio.checked);
    return checked ? Number(checked.value) : null;
  }

  async submit(event) {
    event.preventDefault();
    this.problem.clear();
    const score = this.score();
    if (score === null) {
      this.problem.show('feedback.error.choose');
      this.radios[0].focus();
      return;
    }
    const comment = this.comment.value.trim();
    this.send.disabled = true;
    let response;
    try {
      response = await fetch(FEEDBACK_PATH, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ token: this.token, score, comment: comment || null }),
      });
    } catch {
      this.send.disabled = false;
      this.problem.show('feedback.error.unreachable');
      return;
    }
    this.send.disabled = false;
    if (response.status === 204) {
      this.finish('sent', 'feedback.thanks');
      return;
    }
    const body = await response.json().catch(() => null);
    const code = body && body.error ? body.error.code : `http_${response.status}`;
    const key = `feedback.error.${code}`;
    if (code === 'feedback_used' || code === 'feedback_expired' || code === 'feedback_token_unknown') {
      this.finish('closed', key); // nothing the citizen can do about these
    } else if (hasMessage(key)) {
      this.problem.show(key, {}, code);
    } else {
      this.problem.show('feedback.error.other', {}, code);
    }
  }

  finish(how, key) {
    this.form.hidden = true;
    this.root.dataset.state = how;
    this.root.hidden = how === 'skipped';
    if (key) {
      this.thanks.dataset.i18n = key;
      translatePage(this.root);
      this.thanks.setAttribute('tabindex', '-1');
      this.thanks.focus();
    }
    this.onDone(how);
  }

  destroy() {
    this.root.remove();
  }
}
