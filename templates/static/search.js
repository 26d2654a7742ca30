/* The search page (search/index.html): Pagefind's JavaScript API behind the page's own form.
   Results appear as the reader types; the count is announced through the page's polite
   status region; the result list stays hidden while it is empty. The query and section
   are kept in the address (?q=…&section=…), so a search can be linked to and survives
   going back. Pagefind's text is only ever inserted as text: its excerpts are parsed in
   an inert document and only their <mark> elements are kept. */

const PAGE_SIZE = 10;
const DEBOUNCE_MS = 250;

const form = document.getElementById("search-form");
const fallback = document.getElementById("search-fallback");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const query = form.elements.q;
const section = form.elements.section;

let pagefind = null;
let results = [];
let shown = 0;
let latest = 0; // the number of the newest search; an older one that finishes late is dropped

function setStatus(text) {
  if (status.textContent !== text) status.textContent = text;
}

function describe(count, term, sectionName) {
  const where = sectionName ? ` in ${sectionName}` : "";
  if (count === 0) return `No results for “${term}”${where}.`;
  return `${count} ${count === 1 ? "result" : "results"} for “${term}”${where}.`;
}

function clearResults() {
  results = [];
  shown = 0;
  list.replaceChildren();
  list.hidden = true;
  more.hidden = true;
}

/* Pagefind's excerpt is HTML in which only <mark> is markup (it escapes < and >). */
function excerptNodes(html) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  const nodes = [];
  for (const node of parsed.body.firstChild.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      nodes.push(mark);
    } else {
      nodes.push(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

function formatDate(iso) {
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  const language = document.documentElement.lang || undefined;
  return new Intl.DateTimeFormat(language, { dateStyle: "long", timeZone: "UTC" }).format(date);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function resultItem(data) {
  const meta = data.meta || {};
  const item = element("li", "card search-result");
  if (meta.section) item.append(element("p", "label", meta.section));
  const heading = element("h2", "card-title");
  const link = element("a", "", meta.title || data.url);
  link.href = data.url;
  heading.append(link);
  item.append(heading);
  if (meta.subtitle) item.append(element("p", "subtitle", meta.subtitle));
  const excerpt = element("p", "summary");
  excerpt.append(...excerptNodes(data.excerpt || ""));
  item.append(excerpt);
  if (meta.date) {
    const when = element("p", "meta");
    const time = element("time", "", formatDate(meta.date));
    time.dateTime = meta.date;
    when.append(time);
    item.append(when);
  }
  return item;
}

async function showMore(ticket) {
  const next = results.slice(shown, shown + PAGE_SIZE);
  const data = await Promise.all(next.map((result) => result.data()));
  if (ticket !== latest) return null;
  const items = data.map(resultItem);
  list.append(...items);
  shown += items.length;
  list.hidden = shown === 0;
  more.hidden = shown >= results.length;
  return items[0] || null;
}

function remember(term, sectionName) {
  const params = new URLSearchParams();
  if (term) params.set("q", term);
  if (sectionName) params.set("section", sectionName);
  const search = params.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
}

async function run(immediately) {
  const ticket = ++latest;
  const term = query.value.trim();
  const sectionName = section.value;
  remember(term, sectionName);
  if (!term) {
    clearResults();
    setStatus("");
    return;
  }
  const options = sectionName ? { filters: { section: sectionName } } : {};
  const search = immediately
    ? await pagefind.search(term, options)
    : await pagefind.debouncedSearch(term, options, DEBOUNCE_MS);
  if (search === null || ticket !== latest) return; // a newer search replaced this one
  clearResults();
  results = search.results;
  await showMore(ticket);
  if (ticket === latest) setStatus(describe(results.length, term, sectionName));
}

async function start() {
  try {
    pagefind = await import(`${form.dataset.bundle}pagefind.js`);
    await pagefind.options({ baseUrl: form.dataset.base });
    await pagefind.init();
  } catch (error) {
    document.getElementById("search-fallback-reason").textContent = "Search could not load here.";
    throw error;
  }
  const params = new URLSearchParams(location.search);
  query.value = params.get("q") || "";
  const wanted = params.get("section");
  if (wanted && Array.from(section.options).some((option) => option.value === wanted)) {
    section.value = wanted;
  }
  fallback.hidden = true;
  form.hidden = false;
  query.addEventListener("input", () => run(false));
  section.addEventListener("change", () => run(true));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(true);
  });
  more.addEventListener("click", async () => {
    const first = await showMore(latest);
    if (first) first.querySelector("a").focus();
  });
  if (query.value) await run(true);
}

start();
