/**
 * Forms for the submit command and every lifecycle command. What a form collects is checked in
 * the browser by the engine's own zod schemas (`commandSchemas` of @interlend/ill, bundled), so a
 * field is refused here with the same message the API would give, before anything is sent.
 */
import {
  commandSchemas,
  LOAN_CONDITIONS,
  LOSS_KINDS,
  MATERIAL_FLAGS,
  MATERIAL_FORMATS,
  RETRY_REASONS,
  SERVICE_LEVELS,
  SERVICE_TYPES,
  UNFILLED_REASONS,
  type IllCommandType,
} from '@interlend/ill';
import { h, replace } from './dom';
import type { Problem } from './api';

export type Field =
  | { kind: 'text' | 'textarea' | 'date'; name: string; label: string; required?: boolean; value?: string; hint?: string }
  | { kind: 'number'; name: string; label: string; required?: boolean; value?: string }
  | { kind: 'enum'; name: string; label: string; options: readonly string[]; required?: boolean; value?: string }
  | { kind: 'money'; name: string; label: string; required?: boolean; value?: { amount: string; currency: string } }
  | { kind: 'list'; name: string; label: string; required?: boolean; hint?: string; value?: string }
  | { kind: 'boolean'; name: string; label: string }
  | { kind: 'flags'; name: string; label: string; options: readonly string[] };

const note: Field = { kind: 'textarea', name: 'note', label: 'Note' };
const trackingId: Field = { kind: 'text', name: 'trackingId', label: 'Tracking id' };

/** A date `days` from now, YYYY-MM-DD (UTC). */
export function dateFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The fields of each command a person may send (deadlineReached is the timer service's). */
export function commandFields(type: string): Field[] {
  switch (type) {
    case 'reject':
    case 'close':
      return [{ kind: 'textarea', name: 'reason', label: 'Reason', required: true }];
    case 'notAvailableLocally':
      return [{ kind: 'list', name: 'preferredLenders', label: 'Preferred lenders', hint: 'library codes, in order, separated by commas (optional)' }, note];
    case 'answerConditional':
      return [{ kind: 'enum', name: 'condition', label: 'Condition', options: LOAN_CONDITIONS, required: true }, { kind: 'money', name: 'offeredCost', label: 'Offered cost' }, note];
    case 'acceptConditions':
      return [{ kind: 'boolean', name: 'consentToCost', label: 'Consent to a cost above the maximum' }, note];
    case 'retryPossible':
      return [{ kind: 'enum', name: 'reason', label: 'Reason', options: RETRY_REASONS, required: true }, note];
    case 'cannotSupply':
      return [{ kind: 'enum', name: 'reason', label: 'Reason', options: UNFILLED_REASONS, required: true }, note];
    case 'ship':
      return [
        { kind: 'list', name: 'itemIds', label: 'Item ids', required: true, hint: 'barcodes, separated by commas' },
        { kind: 'date', name: 'dueDate', label: 'Due date', required: true, value: dateFromNow(28) },
        { kind: 'money', name: 'cost', label: 'Cost', required: true, value: { amount: '0', currency: 'USD' } },
        trackingId,
        { kind: 'text', name: 'sentVia', label: 'Sent via' },
        { kind: 'list', name: 'conditions', label: 'Conditions', hint: 'separated by commas (optional)' },
        note,
      ];
    case 'amend':
      // Raise the maximum and/or correct the citation; fields left empty do not change.
      return [
        { kind: 'money', name: 'maximumCost', label: 'New maximum cost (only raised)' },
        { kind: 'text', name: 'material.title', label: 'Title' },
        { kind: 'text', name: 'material.author', label: 'Author' },
        { kind: 'text', name: 'material.isbn', label: 'ISBN' },
        { kind: 'text', name: 'material.issn', label: 'ISSN' },
        { kind: 'text', name: 'material.oclcNumber', label: 'OCLC number' },
        { kind: 'text', name: 'material.edition', label: 'Edition' },
        { kind: 'text', name: 'material.volume', label: 'Volume' },
        { kind: 'number', name: 'material.publicationYear', label: 'Publication year' },
        note,
      ];
    case 'cancel':
      return [{ kind: 'textarea', name: 'reason', label: 'Reason', required: true }, { kind: 'boolean', name: 'continueWithNextLender', label: 'Continue with the next lender' }];
    case 'receive':
      return [{ kind: 'list', name: 'itemIds', label: 'Item ids received', hint: 'separated by commas (optional)' }, note];
    case 'reportMisdelivered':
      return [{ kind: 'text', name: 'receivedBy', label: 'Received by (library code)', required: true }, note];
    case 'reroute':
    case 'returnMisdelivered':
    case 'shipReturn':
      return [trackingId, note];
    case 'reportWrongItem':
      return [{ kind: 'textarea', name: 'note', label: 'What was received', required: true }];
    case 'grantRenewal':
      return [{ kind: 'date', name: 'dueDate', label: 'New due date', required: true, value: dateFromNow(42) }, note];
    case 'reportLost':
      return [{ kind: 'enum', name: 'kind', label: 'Kind', options: LOSS_KINDS, required: true }, note];
    default:
      return [note];
  }
}

export const SUBMIT_FIELDS: Field[] = [
  { kind: 'enum', name: 'serviceType', label: 'Service type', options: SERVICE_TYPES, required: true, value: 'Loan' },
  { kind: 'enum', name: 'serviceLevel', label: 'Service level', options: SERVICE_LEVELS, required: true, value: 'Normal' },
  { kind: 'enum', name: 'material.format', label: 'Format', options: MATERIAL_FORMATS, required: true, value: 'book' },
  { kind: 'text', name: 'material.title', label: 'Title', required: true },
  { kind: 'text', name: 'material.author', label: 'Author' },
  { kind: 'text', name: 'material.isbn', label: 'ISBN' },
  { kind: 'text', name: 'material.oclcNumber', label: 'OCLC number' },
  { kind: 'number', name: 'material.publicationYear', label: 'Publication year' },
  { kind: 'flags', name: 'material.flags', label: 'Flags', options: MATERIAL_FLAGS },
  { kind: 'money', name: 'maximumCost', label: 'Maximum cost', required: true, value: { amount: '25', currency: 'USD' } },
  { kind: 'date', name: 'needBefore', label: 'Needed before' },
  { kind: 'text', name: 'patronRef', label: 'Patron reference' },
  note,
];

const fieldId = (formId: string, name: string, part = ''): string => `${formId}-${name.replace(/\./g, '-')}${part}`;

function control(formId: string, field: Field): HTMLElement {
  const id = fieldId(formId, field.name);
  const testid = `field-${field.name}`;
  switch (field.kind) {
    case 'textarea':
      return h('textarea', { id, name: field.name, rows: 2, testid, 'aria-describedby': `${id}-error` }, field.value ?? '');
    case 'enum': {
      const select = h('select', { id, name: field.name, testid, 'aria-describedby': `${id}-error` }, field.required ? null : h('option', { value: '' }, '—'), field.options.map((o) => h('option', { value: o }, o)));
      select.value = field.value ?? (field.required ? (field.options[0] ?? '') : '');
      return select;
    }
    case 'money':
      return h(
        'span',
        { class: 'money' },
        h('input', { id, name: `${field.name}.amount`, type: 'number', step: '0.01', min: '0', inputmode: 'decimal', value: field.value?.amount ?? '', testid: `${testid}-amount`, 'aria-label': `${field.label}: amount`, 'aria-describedby': `${id}-error` }),
        h('input', { id: `${id}-currency`, name: `${field.name}.currency`, value: field.value?.currency ?? 'USD', size: 4, maxlength: 3, testid: `${testid}-currency`, 'aria-label': `${field.label}: currency` }),
      );
    case 'boolean':
      return h('input', { id, name: field.name, type: 'checkbox', testid });
    case 'flags':
      return h(
        'span',
        { class: 'flags', id, role: 'group', 'aria-label': field.label },
        field.options.map((o) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: field.name, value: o, testid: `${testid}-${o}` }), ` ${o}`)),
      );
    case 'number':
      return h('input', { id, name: field.name, type: 'number', step: '1', value: field.value ?? '', testid, 'aria-describedby': `${id}-error` });
    case 'date':
      return h('input', { id, name: field.name, type: 'date', value: field.value ?? '', testid, 'aria-describedby': `${id}-error` });
    default:
      return h('input', { id, name: field.name, type: 'text', value: field.value ?? '', testid, 'aria-describedby': `${id}-error` });
  }
}

/** The form's rows: a label, the control, a hint and a place for the field's error. */
export function renderFields(formId: string, fields: readonly Field[]): HTMLElement[] {
  return fields.map((field) => {
    const id = fieldId(formId, field.name);
    const label = h('label', { for: id }, field.label, 'required' in field && field.required ? h('span', { 'aria-hidden': 'true', class: 'required' }, ' *') : null);
    const hint = 'hint' in field && field.hint ? h('small', { class: 'hint' }, field.hint) : null;
    return h('div', { class: `field field-${field.kind}`, 'data-field': field.name }, label, control(formId, field), hint, h('div', { class: 'field-error', id: `${id}-error`, 'data-error-for': field.name, role: 'status' }));
  });
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** The command data the form holds: empty optional fields are left out, so the schema's defaults and optionals apply. */
export function collect(form: HTMLFormElement, fields: readonly Field[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const value = (name: string): string => {
    const el = form.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`[name="${name}"]`);
    return el ? el.value : '';
  };
  for (const field of fields) {
    switch (field.kind) {
      case 'money': {
        const amount = value(`${field.name}.amount`).trim();
        const currency = value(`${field.name}.currency`).trim().toUpperCase();
        if (amount === '' && !field.required) break;
        setPath(data, field.name, { amount: amount === '' ? undefined : Number(amount), currency });
        break;
      }
      case 'boolean': {
        const el = form.querySelector<HTMLInputElement>(`input[name="${field.name}"]`);
        if (el?.checked) setPath(data, field.name, true);
        break;
      }
      case 'flags': {
        const checked = [...form.querySelectorAll<HTMLInputElement>(`input[name="${field.name}"]:checked`)].map((el) => el.value);
        if (checked.length) setPath(data, field.name, checked);
        break;
      }
      case 'list': {
        const items = value(field.name)
          .split(/[,\n]/)
          .map((s) => s.trim())
          .filter((s) => s !== '');
        if (items.length || field.required) setPath(data, field.name, items);
        break;
      }
      case 'number': {
        const raw = value(field.name).trim();
        if (raw !== '') setPath(data, field.name, Number(raw));
        else if (field.required) setPath(data, field.name, undefined);
        break;
      }
      default: {
        const raw = value(field.name);
        if (raw.trim() !== '' || field.required) setPath(data, field.name, raw);
      }
    }
  }
  return data;
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** Checks `data` with the engine's schema of `type`; the issues name fields by dotted path (`material.title`). */
export function validate(type: IllCommandType, data: unknown): { ok: true; data: unknown } | { ok: false; issues: FieldIssue[] } {
  const result = commandSchemas[type].safeParse(data);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) };
}

/** A server error path (`data.material.title`, `/material/title`, `body.cost.amount`) as a form path (`material.title`). */
export function formPath(path: string): string {
  return path
    .replace(/^\//, '')
    .replace(/\//g, '.')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/^(data|body)(\.|$)/, '');
}

/**
 * Shows each issue under the field it is about (the longest field name that prefixes its path),
 * and the rest in the form's error box. Returns how many issues were placed.
 */
export function showIssues(form: HTMLElement, fields: readonly Field[], issues: readonly FieldIssue[], box: HTMLElement, problem?: Problem): void {
  for (const el of form.querySelectorAll<HTMLElement>('[data-error-for]')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const general: FieldIssue[] = [];
  const names = fields.map((f) => f.name).sort((a, b) => b.length - a.length);
  for (const issue of issues) {
    const path = formPath(issue.path);
    const name = names.find((n) => path === n || path.startsWith(`${n}.`));
    const slot = name ? form.querySelector<HTMLElement>(`[data-error-for="${name}"]`) : null;
    if (!slot) {
      general.push(issue);
      continue;
    }
    slot.textContent = [slot.textContent, `${issue.path || name}: ${issue.message}`].filter(Boolean).join('; ');
    form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select, [data-field="${name}"] textarea`)?.setAttribute('aria-invalid', 'true');
  }
  renderProblem(box, problem, general);
}

/** An error box: the problem's title and detail, its field errors, and the commands the state allows. */
export function renderProblem(box: HTMLElement, problem: Problem | undefined, issues: readonly FieldIssue[] = []): void {
  if (!problem && issues.length === 0) {
    replace(box);
    box.hidden = true;
    return;
  }
  box.hidden = false;
  replace(
    box,
    problem ? h('strong', {}, problem.status ? `${problem.status} ${problem.title}` : problem.title) : h('strong', {}, 'Please correct the form'),
    problem?.detail ? h('p', { testid: 'error-detail' }, problem.detail) : null,
    issues.length ? h('ul', {}, issues.map((i) => h('li', {}, i.path ? `${i.path}: ${i.message}` : i.message))) : null,
    problem?.allowed ? h('p', {}, `Allowed in ${problem.state ?? 'this state'}: ${problem.allowed.join(', ') || 'nothing'}`) : null,
  );
}

export function errorBox(): HTMLElement {
  const box = h('div', { class: 'error', role: 'alert', testid: 'error' });
  box.hidden = true;
  return box;
}
