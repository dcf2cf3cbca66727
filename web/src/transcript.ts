/** The conversation view: both sides' messages, the partial transcript, agent steps and latency figures. */

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== "") node.textContent = text;
  return node;
}

/** One agent reply in the transcript, filled as its pieces arrive. */
export class AgentBubble {
  readonly item: HTMLLIElement;
  private readonly text: HTMLSpanElement;
  private shown = "";

  constructor(list: HTMLOListElement, filler: boolean) {
    this.item = element("li", filler ? "message agent filler" : "message agent");
    this.item.append(element("span", "who", filler ? "Agent (filler)" : "Agent"));
    if (filler) this.item.append(element("span", "badge", "filler"));
    this.text = element("span", "text");
    this.item.append(this.text);
    list.append(this.item);
    this.item.scrollIntoView({ block: "nearest" });
  }

  append(text: string): void {
    this.shown += text;
    this.text.textContent = this.shown;
  }

  setText(text: string): void {
    this.shown = text;
    this.text.textContent = text;
  }

  get textShown(): string {
    return this.shown;
  }

  /** Shows the reply cut where it was heard: the heard part, then the rest struck through. */
  interrupted(heardText: string, fullText: string, rolledBack: boolean): void {
    this.item.classList.add("interrupted");
    this.item.dataset.heardText = heardText;
    const rest = fullText.startsWith(heardText) ? fullText.slice(heardText.length) : "";
    this.text.replaceChildren(document.createTextNode(heardText));
    if (rest !== "") {
      const unheard = element("s", "unheard");
      unheard.append(element("span", "visually-hidden", " not heard: "), document.createTextNode(rest));
      this.text.append(unheard);
    }
    this.item.append(
      element("span", "badge", rolledBack ? "interrupted before it was heard" : "interrupted"),
    );
  }

  /** The turn's latency figures as numbers and a small bar chart. */
  latency(report: Record<string, unknown>): void {
    const stages = (report.stages ?? {}) as Record<string, unknown>;
    const figures: [string, unknown][] = [
      ["recognition", stages.recognition_after_body_end_ms],
      ["agent", stages.agent_ms],
      ["speech", stages.synthesis_after_agent_ms],
      ["first filler", report.first_filler_ms],
      ["first answer", report.first_answer_audio_ms ?? report.first_audio_piece_ms],
    ];
    const known = figures.filter((f): f is [string, number] => typeof f[1] === "number");
    if (known.length === 0) return;
    const largest = Math.max(1, ...known.map(([, ms]) => ms));
    const figure = element("figure", "latency");
    figure.append(element("figcaption", "visually-hidden", "Latency of this turn"));
    const list = element("dl", "latency-figures");
    for (const [name, ms] of known) {
      const row = element("div", "latency-row");
      const bar = element("span", "bar");
      bar.style.width = `${Math.max(2, Math.round((ms / largest) * 100))}%`;
      bar.setAttribute("aria-hidden", "true");
      const value = element("dd", "");
      value.append(bar, document.createTextNode(`${Math.round(ms)} ms`));
      row.append(element("dt", "", name), value);
      list.append(row);
    }
    figure.append(list);
    this.item.append(figure);
  }
}

/** The transcript list, the partial line and the agent-steps panel. */
export class Transcript {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly partialLine: HTMLElement,
    private readonly actions: HTMLOListElement,
  ) {}

  clear(): void {
    this.list.replaceChildren();
    this.actions.replaceChildren();
    this.setPartial("");
  }

  addUser(text: string, voice: boolean): HTMLLIElement {
    const item = element("li", "message user");
    item.append(element("span", "who", voice ? "You (spoken)" : "You"), element("span", "text", text));
    this.list.append(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  addAgent(filler = false): AgentBubble {
    return new AgentBubble(this.list, filler);
  }

  addNote(text: string): void {
    this.list.append(element("li", "message note", text));
  }

  setPartial(text: string): void {
    this.partialLine.textContent = text === "" ? "" : `Hearing: ${text}`;
  }

  addAction(action: Record<string, unknown>): void {
    const type = String(action.type);
    const item = element("li", type === "action-too-long" ? "action filler" : "action");
    item.append(element("span", "action-type", type));
    const detail =
      typeof action.next_state === "string"
        ? `→ ${action.next_state}`
        : typeof action.state === "string"
          ? action.state
          : type === "action-too-long"
            ? "filler played"
            : "";
    if (detail !== "") item.append(element("span", "action-detail", ` ${detail}`));
    this.actions.append(item);
    item.scrollIntoView({ block: "nearest" });
  }
}
