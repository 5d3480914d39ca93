// The query UI: YASGUI (vendored, offline) on this server's endpoint, one tab per example query.
(function () {
  "use strict";
  const holder = document.getElementById("yasgui");
  const endpoint = holder.dataset.endpoint;
  const examples = JSON.parse(document.getElementById("examples").textContent);
  const question = document.getElementById("question");
  const links = document.querySelectorAll("#example-list a[data-tab]");

  // Only the autocompleters that work offline (the others call lov.linkeddata.es); set on the defaults,
  // because Yasgui merges arrays of its config by index.
  Yasgui.defaults.yasqe.autocompleters = ["prefixes", "variables"];

  const yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null,
    autoAddOnInit: false,
    populateFromUrl: false,
    tabName: "Query",
    yasqe: { value: "SELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n}\nLIMIT 10" },
  });

  const byName = new Map(examples.map((e) => [e.name, e]));
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = byName.has(wanted) ? wanted : examples.length ? examples[0].name : null;
  examples.forEach((e) => {
    yasgui.addTab(e.name === first, {
      id: e.name,
      name: e.name,
      yasqe: { value: e.query },
      requestConfig: { endpoint: endpoint },
    });
  });
  if (!examples.length) yasgui.addTab(true);

  function show(tabId) {
    const example = byName.get(tabId);
    question.textContent = example ? example.question : "";
    links.forEach((a) => a.classList.toggle("active", a.dataset.tab === tabId));
    const tab = holder.querySelector(".tabsList .tab.active");
    if (tab) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  yasgui.on("tabSelect", (_instance, tabId) => show(tabId));
  links.forEach((a) =>
    a.addEventListener("click", (event) => {
      event.preventDefault();
      yasgui.selectTabId(a.dataset.tab);
      history.replaceState(null, "", "#" + a.dataset.tab);
    })
  );
  if (first) show(first);
  window.anakinraYasgui = yasgui;
})();
