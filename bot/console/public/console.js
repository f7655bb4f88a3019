/* The console's page script: plain browser JavaScript, no build step. It renders the cards the server sends
   with the official Adaptive Cards renderer (window.AdaptiveCards) and posts card actions back. */
(() => {
  const AC = window.AdaptiveCards;
  const log = document.getElementById('log');
  const unitSelect = document.getElementById('unit');
  const personSelect = document.getElementById('person');
  const composer = document.getElementById('composer');
  const input = document.getElementById('command');

  // The server escapes user text with Markdown backslashes and never sends formatting of its own, so showing
  // a text is: drop the escapes, then let the browser treat the result as text (never as HTML).
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const div = document.createElement('div');
    div.textContent = text.replace(/\\(.)/g, '$1');
    result.outputHtml = div.innerHTML.replace(/\n/g, '<br>');
    result.didProcess = true;
  };

  // Teams draws its chart elements itself; the open-source renderer does not know them. The console draws the
  // one the bot sends (Chart.VerticalBar: a title and data of {x, y}) as an SVG bar chart, each bar titled with
  // its day and count for a screen reader. Values are numbers; text goes in through textContent only.
  const SVG = 'http://www.w3.org/2000/svg';
  class VerticalBarChart extends AC.CardElement {
    getJsonTypeName() {
      return 'Chart.VerticalBar';
    }
    internalParse(source, context) {
      super.internalParse(source, context);
      this.chartTitle = typeof source.title === 'string' ? source.title : '';
      this.points = Array.isArray(source.data)
        ? source.data.filter((d) => typeof d.x === 'string' && Number.isFinite(d.y))
        : [];
    }
    internalRender() {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      const caption = document.createElement('figcaption');
      caption.textContent = this.chartTitle;
      const width = 560;
      const height = 140;
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', `0 0 ${width} ${height + 18}`);
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', this.chartTitle);
      const max = Math.max(1, ...this.points.map((p) => p.y));
      const step = width / Math.max(1, this.points.length);
      this.points.forEach((p, i) => {
        const bar = document.createElementNS(SVG, 'rect');
        const h = Math.round((p.y / max) * height);
        bar.setAttribute('x', String(Math.round(i * step + 1)));
        bar.setAttribute('y', String(height - h));
        bar.setAttribute('width', String(Math.max(1, Math.round(step - 2))));
        bar.setAttribute('height', String(h));
        bar.setAttribute('class', i === this.points.length - 1 ? 'today' : 'day');
        const tip = document.createElementNS(SVG, 'title');
        tip.textContent = `${p.x}: ${p.y}`;
        bar.append(tip);
        svg.append(bar);
      });
      for (const [i, p] of [
        [0, this.points[0]],
        [this.points.length - 1, this.points[this.points.length - 1]],
      ]) {
        if (!p) continue;
        const label = document.createElementNS(SVG, 'text');
        label.setAttribute('x', String(Math.round(i * step + (i === 0 ? 1 : step - 1))));
        label.setAttribute('y', String(height + 14));
        label.setAttribute('text-anchor', i === 0 ? 'start' : 'end');
        label.textContent = `${p.x}: ${p.y}`;
        svg.append(label);
      }
      figure.append(caption, svg);
      return figure;
    }
  }
  AC.GlobalRegistry.elements.register('Chart.VerticalBar', VerticalBarChart);

  const state = { unitId: null, personId: null, people: [] };
  // The page's token: every write carries it, so no other site can make the console act (see console.routes.ts).
  const token = document.querySelector('meta[name="dmm-console-token"]').content;

  function personLabel() {
    const p = state.people.find((x) => x.id === state.personId);
    return p ? `${p.name} (${p.roles.join(', ')})` : 'you';
  }

  function addEntry(kind, who, node) {
    const entry = document.createElement('div');
    entry.className = `entry ${kind}`;
    const whoNode = document.createElement('div');
    whoNode.className = 'who';
    whoNode.textContent = who;
    entry.append(whoNode, node);
    log.append(entry);
    entry.scrollIntoView({ block: 'end' });
    return entry;
  }

  function addText(kind, who, text) {
    const node = document.createElement('div');
    node.className = 'text';
    node.textContent = text;
    return addEntry(kind, who, node);
  }

  function renderCard(json) {
    const card = new AC.AdaptiveCard();
    card.parse(json);
    card.onExecuteAction = (action) => {
      const inputs = {};
      for (const i of card.getAllInputs()) inputs[i.id] = i.value;
      const data = action.data && typeof action.data === 'object' ? { ...action.data } : {};
      for (const key of Object.keys(inputs)) delete data[key];
      if (data.verb === 'minutes.pdf')
        download('/console/api/minutes.pdf', { meetingId: data.meetingId }, `[${action.title}]`);
      else if (data.verb === 'tcg.pdf')
        download('/console/api/tcg-pack.pdf', { from: data.from, to: data.to }, `[${action.title}]`);
      else send('/console/api/submit', { data, inputs }, `[${action.title}]`);
    };
    const node = document.createElement('div');
    node.className = 'card';
    node.dataset.cardTitle = json.body?.find((b) => b.style === 'heading')?.text || '';
    node.append(card.render());
    return node;
  }

  /** Downloads a PDF (the minutes, the TT&CG pack): the browser saves the file the service names. */
  async function download(route, body, shown) {
    addText('user', personLabel(), shown);
    try {
      const res = await fetch(route, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dmm-console-token': token },
        body: JSON.stringify({ ...body, unitId: state.unitId, personId: state.personId }),
      });
      if (!res.ok) {
        const reply = await res.json().catch(() => ({}));
        addText('error', 'dmm', reply.message || `The server answered ${res.status}.`);
        return;
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '')?.[1] || 'dmm.pdf';
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      addText('bot', 'dmm', `Downloaded ${name}.`);
    } catch (error) {
      addText('error', 'dmm', `Could not reach the service: ${error.message}. Is it still running?`);
    }
  }

  async function send(url, body, shown) {
    addText('user', personLabel(), shown);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dmm-console-token': token },
        body: JSON.stringify({ ...body, unitId: state.unitId, personId: state.personId }),
      });
      const reply = await res.json();
      if (!res.ok) {
        addText(
          'error',
          'dmm',
          reply.message ||
            `The server answered ${res.status}${reply.correlationId ? ` (reference ${reply.correlationId})` : ''}.`,
        );
        return;
      }
      const wrap = document.createElement('div');
      for (const json of reply.cards) wrap.append(renderCard(json));
      addEntry('bot', 'dmm', wrap);
    } catch (error) {
      addText('error', 'dmm', `Could not reach the service: ${error.message}. Is it still running?`);
    }
  }

  async function loadPeople(unitId) {
    const res = await fetch(`/console/api/people${unitId ? `?unit=${unitId}` : ''}`);
    const data = await res.json();
    if (!res.ok) {
      addText('error', 'dmm', data.message);
      return;
    }
    state.unitId = data.unit.id;
    state.people = data.people;
    unitSelect.replaceChildren(
      ...data.units.map((u) => new Option(u.name, String(u.id), false, u.id === data.unit.id)),
    );
    personSelect.replaceChildren(
      ...data.people.map((p) => new Option(`${p.name} (${p.roles.join(', ')})`, String(p.id))),
    );
    state.personId = data.people[0] ? data.people[0].id : null;
  }

  unitSelect.addEventListener('change', () => loadPeople(Number(unitSelect.value)));
  personSelect.addEventListener('change', () => {
    state.personId = Number(personSelect.value);
    addText('notice', 'console', `You are now ${personLabel()}.`);
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    // Each typed message has its own key: sent twice (a double Enter), it changes nothing twice.
    send('/console/api/message', { text, key: crypto.randomUUID() }, text);
  });

  loadPeople().then(() => addText('notice', 'console', 'Type dmm help to see the commands.'));
})();
