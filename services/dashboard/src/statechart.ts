/**
 * The statechart (GET /v1/lifecycle, generated from the machine) drawn by Mermaid, with one state
 * highlighted. Mermaid is loaded on first use (it is most of the bundle's weight) and draws the
 * diagram once per page: moving the highlight to another state only changes a class in the SVG.
 */

type MermaidApi = typeof import('mermaid').default;
let mermaidPromise: Promise<MermaidApi> | undefined;
let drawn: { text: string; svg: Promise<string> } | undefined;
const RENDER_ID = 'statechart';

function loadMermaid(): Promise<MermaidApi> {
  mermaidPromise ??= import('mermaid').then(({ default: mermaid }) => {
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', state: { useMaxWidth: false } });
    return mermaid;
  });
  return mermaidPromise;
}

/** The Mermaid node id of a state name: `withLender.requested` → `withLender_requested`. */
export const nodeId = (state: string): string => state.replace(/[^A-Za-z0-9_]/g, '_');

const CURRENT_STYLE = '  classDef current fill:#ffd54f,stroke:#8a4b00,stroke-width:3px';

/** The SVG of the diagram, drawn once per text. */
function svgOf(mermaidText: string): Promise<string> {
  if (drawn?.text !== mermaidText) {
    const svg = loadMermaid().then(async (mermaid) => (await mermaid.render(RENDER_ID, `${mermaidText.trimEnd()}\n${CURRENT_STYLE}\n`)).svg);
    drawn = { text: mermaidText, svg };
    svg.catch(() => (drawn = undefined));
  }
  return drawn.svg;
}

/** Marks `state`'s node (Mermaid gives it the id `statechart-state-<node id>-<n>`) as current, and scrolls it into the frame. */
function highlight(target: HTMLElement, state: string | null): void {
  for (const node of target.querySelectorAll('g.current')) node.classList.remove('current');
  target.setAttribute('data-current-state', state ?? '');
  const svg = target.querySelector('svg');
  svg?.setAttribute('aria-label', state ? `Statechart of an ILL request; the state ${state} is highlighted` : 'Statechart of an ILL request');
  if (!state) return;
  const pattern = new RegExp(`-state-${nodeId(state)}-\\d+$`);
  const node = [...target.querySelectorAll<SVGGElement>('g.node[id]')].find((g) => pattern.test(g.id));
  if (!node) return;
  node.classList.add('current');
  const box = node.getBoundingClientRect();
  const frame = target.getBoundingClientRect();
  target.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
  target.scrollTop += box.top + box.height / 2 - (frame.top + frame.height / 2);
}

/** Draws the diagram into `target` (once) with `state` highlighted; shows the error in place if Mermaid refuses it. */
export async function drawStatechart(target: HTMLElement, mermaidText: string, state: string | null): Promise<void> {
  try {
    if (target.getAttribute('data-source') !== String(mermaidText.length) || !target.querySelector('svg')) {
      target.setAttribute('aria-busy', 'true');
      target.innerHTML = await svgOf(mermaidText); // Mermaid's own output, rendered with securityLevel 'strict'
      target.querySelector('svg')?.setAttribute('role', 'img');
      target.setAttribute('data-source', String(mermaidText.length));
    }
    highlight(target, state);
    target.setAttribute('data-rendered', 'true');
  } catch (error) {
    target.textContent = `The statechart could not be drawn: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    target.removeAttribute('aria-busy');
  }
}
