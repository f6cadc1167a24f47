// The letter draft editor: paragraphs, headings, bold, italics and lists, with the merge values
// shown as locked chips. It enhances a plain text area (which works on its own without
// JavaScript): the editor writes HTML with [[field]] placeholders into a hidden input, and the
// server sanitises and checks whatever arrives. No inline styles or scripts (strict CSP).
import { Editor, Node, mergeAttributes } from "@tiptap/core";
import { Plugin } from "@tiptap/pm/state";
import StarterKit from "@tiptap/starter-kit";

const PLACEHOLDER = /\[\[\s*([a-z_]+)\s*\]\]/g;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function paintChip(dom, values) {
  const name = dom.getAttribute("data-merge-field");
  const info = values[name] || { label: name, value: "" };
  // An optional sentence (a meeting held, possible offences) that doesn't apply is left out of
  // the letter: say so calmly rather than flag it as missing.
  const state = info.value ? "" : info.optional ? " merge-chip-optional" : " merge-chip-empty";
  dom.className = "merge-chip" + state;
  dom.title = info.label + " — change it in the details above";
  dom.textContent =
    info.value || (info.optional ? "[" + info.label + ": left out of this letter]" : "[" + info.label + " — missing]");
}

function countChips(doc) {
  const counts = {};
  doc.descendants((node) => {
    if (node.type.name === "mergeField") counts[node.attrs.field] = (counts[node.attrs.field] || 0) + 1;
  });
  return counts;
}

function makeMergeField(values, required, announce) {
  return Node.create({
    name: "mergeField",
    group: "inline",
    inline: true,
    atom: true,
    selectable: true,
    draggable: false,
    addAttributes() {
      return { field: { default: null, parseHTML: (el) => el.getAttribute("data-merge-field") } };
    },
    parseHTML() {
      return [{ tag: "span[data-merge-field]" }];
    },
    renderHTML({ node, HTMLAttributes }) {
      const info = values[node.attrs.field] || { label: node.attrs.field, value: "" };
      return [
        "span",
        mergeAttributes(HTMLAttributes, {
          "data-merge-field": node.attrs.field,
          class: "merge-chip" + (info.value ? "" : " merge-chip-empty"),
          contenteditable: "false",
          title: info.label + " (from the letter's details)",
        }),
        info.value || "[" + info.label + "]",
      ];
    },
    // Our own view of the chip: ProseMirror never edits inside it, and the text can follow the
    // details form without touching the document.
    addNodeView() {
      return ({ node }) => {
        const dom = document.createElement("span");
        dom.setAttribute("data-merge-field", node.attrs.field);
        dom.setAttribute("contenteditable", "false");
        paintChip(dom, values);
        return { dom, ignoreMutation: () => true };
      };
    },
    renderText({ node }) {
      return "[[" + node.attrs.field + "]]";
    },
    // A required element can't be deleted by a keystroke or a cut: the edit is refused and
    // announced, so the letter never silently loses what its kind must contain.
    addProseMirrorPlugins() {
      return [
        new Plugin({
          filterTransaction(tr, state) {
            if (!tr.docChanged) return true;
            const before = countChips(state.doc);
            const after = countChips(tr.doc);
            const lost = required.filter((name) => before[name] && !after[name]);
            if (lost.length) {
              announce(lost.map((name) => (values[name] || { label: name }).label).join(", ") + " must stay in the letter.");
              return false;
            }
            return true;
          },
        }),
      ];
    },
  });
}

// Server HTML with [[field]] placeholders -> HTML the editor parses into chips.
function toEditorHtml(html) {
  return html.replace(PLACEHOLDER, (_, name) => '<span data-merge-field="' + escapeHtml(name) + '"></span>');
}

// Editor HTML -> what the server stores: chips back to [[field]].
function fromEditorHtml(html) {
  return html.replace(/<span[^>]*data-merge-field="([a-z_]+)"[^>]*>.*?<\/span>/g, "[[$1]]");
}

const BUTTONS = [
  { id: "paragraph", label: "Paragraph", run: (c) => c.setParagraph(), active: (e) => e.isActive("paragraph") },
  { id: "heading", label: "Heading", run: (c) => c.toggleHeading({ level: 3 }), active: (e) => e.isActive("heading") },
  { id: "bold", label: "Bold", keys: "Control+B", run: (c) => c.toggleBold(), active: (e) => e.isActive("bold") },
  { id: "italic", label: "Italics", keys: "Control+I", run: (c) => c.toggleItalic(), active: (e) => e.isActive("italic") },
  { id: "bullets", label: "Bulleted list", run: (c) => c.toggleBulletList(), active: (e) => e.isActive("bulletList") },
  { id: "numbers", label: "Numbered list", run: (c) => c.toggleOrderedList(), active: (e) => e.isActive("orderedList") },
];

function setUp(root) {
  const textarea = root.querySelector("textarea");
  const hidden = root.querySelector("input[data-editor-html]");
  const format = root.querySelector("input[data-editor-format]");
  const valuesScript = document.getElementById(root.dataset.valuesId);
  if (!textarea || !hidden || !format || !valuesScript) return;
  const values = JSON.parse(valuesScript.textContent);
  const label = root.querySelector("label[for='" + textarea.id + "']");

  const toolbar = document.createElement("div");
  toolbar.className = "letter-editor-toolbar btn-toolbar gap-1 mb-1";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Formatting");
  const surface = document.createElement("div");
  surface.className = "letter-editor-surface form-control";

  const buttons = BUTTONS.map((spec) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-secondary";
    b.textContent = spec.label;
    b.setAttribute("aria-pressed", "false");
    if (spec.keys) b.setAttribute("aria-keyshortcuts", spec.keys);
    b.tabIndex = -1;
    toolbar.appendChild(b);
    return { spec, b };
  });
  buttons[0].b.tabIndex = 0;

  const insert = document.createElement("select");
  insert.className = "form-select form-select-sm letter-editor-insert";
  insert.setAttribute("aria-label", "Insert a detail from the letter");
  insert.tabIndex = -1;
  const first = document.createElement("option");
  first.value = "";
  first.textContent = "Insert a detail…";
  insert.appendChild(first);
  Object.keys(values).forEach((name) => {
    const o = document.createElement("option");
    o.value = name;
    o.textContent = values[name].label;
    insert.appendChild(o);
  });
  toolbar.appendChild(insert);
  const controls = [...buttons.map((x) => x.b), insert];

  // One tab stop for the toolbar; arrow keys move within it (WAI-ARIA toolbar pattern).
  toolbar.addEventListener("keydown", (event) => {
    const i = controls.indexOf(document.activeElement);
    if (i < 0 || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    if (event.target === insert && (event.key === "ArrowUp" || event.key === "ArrowDown")) return;
    event.preventDefault();
    let next = i;
    if (event.key === "ArrowRight") next = (i + 1) % controls.length;
    if (event.key === "ArrowLeft") next = (i - 1 + controls.length) % controls.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = controls.length - 1;
    controls[i].tabIndex = -1;
    controls[next].tabIndex = 0;
    controls[next].focus();
  });

  textarea.hidden = true;
  textarea.disabled = true; // not submitted: the hidden input carries the text
  const help = root.querySelector("[data-plain-help]");
  if (help) help.hidden = true;
  const richHelp = root.querySelector("[data-rich-help]");
  if (richHelp) richHelp.hidden = false;
  textarea.insertAdjacentElement("afterend", surface);
  surface.insertAdjacentElement("beforebegin", toolbar);

  const required = [...document.querySelectorAll("[data-required-field]")]
    .filter((item) => item.dataset.layout !== "true")
    .map((item) => item.dataset.requiredField);
  const status = document.createElement("p");
  status.className = "form-text text-danger mb-1";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  surface.insertAdjacentElement("afterend", status);
  let clearTimer = null;
  const announce = (message) => {
    status.textContent = message;
    clearTimeout(clearTimer);
    clearTimer = setTimeout(() => (status.textContent = ""), 6000);
  };

  const describedBy = [textarea.getAttribute("aria-describedby"), richHelp && richHelp.id].filter(Boolean).join(" ");
  const editor = new Editor({
    element: surface,
    injectCSS: false, // our stylesheet carries the editor's CSS: no inline <style> under the CSP
    extensions: [
      StarterKit.configure({
        heading: { levels: [2, 3] },
        code: false,
        codeBlock: false,
        horizontalRule: false,
        strike: false,
        link: false,
        underline: false,
      }),
      makeMergeField(values, required, announce),
    ],
    content: toEditorHtml(hidden.value),
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-labelledby": label ? (label.id || (label.id = textarea.id + "-label")) : "",
        "aria-describedby": describedBy,
        class: "letter-editor-content",
        spellcheck: "true",
        lang: "en-GB",
      },
    },
  });

  const checklist = document.querySelectorAll("[data-required-field]");
  const sync = () => {
    const html = fromEditorHtml(editor.getHTML());
    const text = editor.getText().replace(/\s+/g, " ");
    hidden.value = html;
    buttons.forEach(({ spec, b }) => b.setAttribute("aria-pressed", spec.active(editor) ? "true" : "false"));
    checklist.forEach((item) => {
      const name = item.dataset.requiredField;
      if (item.dataset.layout === "true") return;
      // As on the server: the field is used, or its value is already written out in full.
      const value = ((values[name] || {}).value || "").replace(/\s+/g, " ").trim();
      const present = Boolean(value) && (html.includes("[[" + name + "]]") || text.includes(value));
      item.classList.toggle("present", present);
      const state = item.querySelector("[data-state]");
      if (state) state.textContent = present ? "present" : "missing";
    });
  };
  format.value = "html";
  editor.on("transaction", sync); // typing, moving, and toggling a mark for the next word
  sync();

  buttons.forEach(({ spec, b }) =>
    b.addEventListener("click", () => {
      spec.run(editor.chain().focus()).run();
    }),
  );
  insert.addEventListener("change", () => {
    if (!insert.value) return;
    editor.chain().focus().insertContent({ type: "mergeField", attrs: { field: insert.value } }).run();
    insert.value = "";
  });

  // A detail changed in the form above: show its new value in the chips at once.
  document.querySelectorAll("[data-detail-field]").forEach((input) => {
    input.addEventListener("input", () => {
      const name = input.dataset.detailField;
      if (!values[name]) return;
      const raw = input.value.trim();
      values[name].value =
        input.type === "date" && raw
          ? new Date(raw + "T12:00:00").toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" })
          : raw;
      surface.querySelectorAll('[data-merge-field="' + name + '"]').forEach((dom) => paintChip(dom, values));
      sync();
    });
  });
}

document.querySelectorAll("[data-letter-editor]").forEach(setUp);
