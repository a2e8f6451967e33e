// The self-building form: requirements -> inputs; each change -> /validate (debounced); Create -> the create.
"use strict";
(function () {
  const api = document.body.dataset.api;
  const $ = (id) => document.getElementById(id);
  let authorization = null; // in memory only: never stored, never put in the page
  let current = null; // the chosen requirements entry
  let timer = null;
  let asked = 0; // validations sent; only the answer to the latest one is shown
  let createKey = null; // one Idempotency-Key per body: a double click creates one account

  $("use-token").addEventListener("click", () => {
    const id = $("token-id").value.trim();
    const secret = $("token-secret").value;
    authorization = "Basic " + btoa(id + ":" + secret);
    $("token-secret").value = "";
    $("token-status").textContent = "token " + id + " in use (kept in memory)";
  });

  async function call(method, path, body, extra) {
    const headers = Object.assign({ Authorization: authorization || "" }, extra || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(api + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
    });
    let json = null;
    try { json = await response.json(); } catch (e) { json = null; }
    return { status: response.status, json };
  }

  // A corridor choice changed: ask again (Wise-style), keeping what was typed where the field remains.
  let reload = null;
  for (const id of ["currency", "country", "beneficiary-type", "owner"]) {
    $(id).addEventListener("change", () => {
      if (!current) return; // before the first "Show requirements" nothing is asked on its own
      clearTimeout(reload);
      reload = setTimeout(() => $("load").click(), 300);
    });
  }

  $("load").addEventListener("click", async () => {
    $("corridor-error").textContent = "";
    const query = new URLSearchParams({
      currency: $("currency").value.trim(), country: $("country").value.trim(),
      beneficiaryType: $("beneficiary-type").value, path: $("owner").value,
    });
    const { status, json } = await call("GET", "/external-accounts/requirements?" + query);
    if (status !== 200) {
      const errors = (json && json.details && json.details.errors) || [];
      const named = errors.map((e) => e.field + ": " + e.message).join("; ");
      $("corridor-error").textContent = (json && json.message || "HTTP " + status) + (named ? " (" + named + ")" : "");
      $("account-types").replaceChildren();
      return;
    }
    const holder = $("account-types");
    holder.replaceChildren();
    if (json.data.length === 0) { holder.textContent = "No account type serves this corridor."; return; }
    const previous = current && json.data.find((entry) => entry.accountType === current.accountType);
    json.data.forEach((entry, index) => {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio"; radio.name = "account-type"; radio.value = entry.accountType; radio.style.width = "auto";
      radio.addEventListener("change", () => choose(entry));
      label.append(radio, " " + entry.accountType + " (" + (entry.paymentRails.join(", ") || "wallet") + ")");
      holder.append(label);
      // The type chosen before stays chosen when the new corridor still offers it.
      if (previous ? entry === previous : index === 0) { radio.checked = true; choose(entry); }
    });
  });

  function resolve(schema, node) {
    while (node && node.$ref) node = schema.$defs[node.$ref.split("/").pop()];
    if (node && node.anyOf) {
      const options = node.anyOf.filter((option) => option.type !== "null");
      if (options.length === 1) return resolve(schema, Object.assign({}, node, options[0], { anyOf: undefined }));
    }
    if (node && node.oneOf && node.oneOf.length === 1) return resolve(schema, node.oneOf[0]);
    return node;
  }

  function choose(entry) {
    current = entry;
    const form = $("account-form");
    const typed = {};
    for (const input of form.querySelectorAll("[data-path]")) typed[input.dataset.path] = input.value;
    form.replaceChildren();
    const schema = entry.schema;
    const top = schema.properties;
    for (const name of Object.keys(top)) {
      if (name === "accountInfo" || name === "currency") continue;
      if (name === "defaultUmaDepositAccount") continue;
      form.append(field(schema, top[name], [name], (schema.required || []).includes(name)));
    }
    const info = resolve(schema, top.accountInfo);
    form.append(group(schema, info, ["accountInfo"], "Account"));
    for (const input of form.querySelectorAll("[data-path]")) {
      const before = typed[input.dataset.path];
      // Kept only where the new form can hold it (a select keeps a value it still offers).
      if (before !== undefined && before !== "" && !input.dataset.fixed) {
        input.value = before;
        if (input.value !== before) input.value = "";
      }
    }
    $("create").disabled = false;
    $("derived").hidden = true;
    validateSoon();
  }

  function group(schema, node, path, title) {
    const box = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = title;
    box.append(legend);
    const required = node.required || [];
    for (const [name, child] of Object.entries(node.properties || {})) {
      const resolved = resolve(schema, child);
      if (resolved && resolved.properties) {
        // The property's own title ("Beneficiary") over its type's ("EurBeneficiary").
        box.append(group(schema, resolved, path.concat(name), child.title || resolved.title || name));
      } else {
        box.append(field(schema, child, path.concat(name), required.includes(name)));
      }
    }
    return box;
  }

  function field(schema, raw, path, required) {
    const node = resolve(schema, raw) || {};
    const wrapper = document.createElement("div");
    const id = "f-" + path.join("-");
    const label = document.createElement("label");
    label.htmlFor = id;
    // The property's own title ("Country of residence") over its type's ("Country code").
    label.textContent = raw.title || node.title || path[path.length - 1];
    if (required) label.className = "required";
    let input;
    const choices = node.enum || (node.const !== undefined ? [node.const] : null);
    if (choices) {
      input = document.createElement("select");
      // Blank first, required or not: a select showing its first choice would send it unasked.
      if (node.const === undefined) input.append(new Option("", ""));
      else input.dataset.fixed = "1"; // accountType, beneficiaryType: set by the corridor, not by a person
      choices.forEach((choice) => input.append(new Option(String(choice), JSON.stringify(choice))));
      input.dataset.json = "1";
    } else if (node.type === "boolean") {
      input = document.createElement("select");
      input.append(new Option("", ""), new Option("true", "true"), new Option("false", "false"));
      input.dataset.json = "1";
    } else {
      input = document.createElement("input");
      if (node.maxLength) input.maxLength = node.maxLength + 20; // room for the spaces people type
      if (node.examples && node.examples.length) input.placeholder = String(node.examples[0]);
    }
    input.id = id;
    input.dataset.path = path.join(".");
    input.addEventListener("input", validateSoon);
    input.addEventListener("change", validateSoon);
    const message = document.createElement("div");
    message.className = "error";
    message.id = id + "-error";
    wrapper.append(label, input, message);
    if (node.description) {
      const hint = document.createElement("div");
      hint.className = "hint"; hint.textContent = node.description;
      wrapper.append(hint);
    }
    return wrapper;
  }

  function body() {
    const result = { currency: $("currency").value.trim() };
    for (const input of $("account-form").querySelectorAll("[data-path]")) {
      if (input.value === "") continue;
      const value = input.dataset.json ? JSON.parse(input.value) : input.value;
      const path = input.dataset.path.split(".");
      let node = result;
      path.slice(0, -1).forEach((key) => { node = node[key] = node[key] || {}; });
      node[path[path.length - 1]] = value;
    }
    return result;
  }

  function validateSoon() {
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  }

  function target() {
    return $("owner").value === "customer" ? "/customers/external-accounts" : "/platform/external-accounts";
  }

  async function validate() {
    if (!current) return;
    const mine = ++asked;
    createKey = null; // the body changed: a create of it is a new create
    const { status, json } = await call("POST", target() + "/validate", body());
    if (mine !== asked) return; // an older answer arriving late must not overwrite a newer one
    for (const element of $("account-form").querySelectorAll(".error")) element.textContent = "";
    const messages = $("form-messages");
    messages.replaceChildren();
    if (status !== 200) { messages.textContent = (json && json.message) || "HTTP " + status; return; }
    const typed = new Set([...$("account-form").querySelectorAll("[data-path]")]
      .filter((input) => input.value !== "").map((input) => input.dataset.path));
    for (const error of json.errors) {
      const slot = document.getElementById("f-" + error.field.split(".").join("-") + "-error");
      if (slot && typed.has(error.field)) {
        slot.textContent = error.message;
      } else {
        // Not typed yet (a required field still empty, a rule across fields): listed below the form.
        const line = document.createElement("div");
        line.className = "error"; line.textContent = error.field + ": " + error.message;
        messages.append(line);
      }
    }
    for (const note of json.warnings) {
      const line = document.createElement("div");
      line.className = "warning"; line.textContent = note.field + ": " + note.message;
      messages.append(line);
    }
    if (json.valid) {
      const line = document.createElement("div");
      line.className = "ok"; line.id = "valid"; line.textContent = "Valid: ready to create.";
      messages.append(line);
    }
    showDerived(json.derived || {});
  }

  function showDerived(derived) {
    const bank = derived.bank || {};
    const bic = (derived.bank && derived.bank.bic) || (derived.bic && derived.bic.bic) || "";
    const lines = [];
    if (derived.iban && derived.iban.sepaReachable !== undefined) lines.push("SEPA: " + (derived.iban.sepaReachable ? "yes" : "no"));
    if (derived.lightning) lines.push("Lightning: " + derived.lightning.network + (derived.lightning.expiresAt ? ", expires " + derived.lightning.expiresAt : ""));
    if (derived.evm) lines.push("Checksummed address: " + derived.evm.checksummedAddress);
    $("derived").hidden = !(bank.name || bic || lines.length);
    $("derived-bank-name").textContent = bank.name || "";
    $("derived-bic").textContent = bic;
    $("derived-more").textContent = lines.join(" · ");
  }

  $("create").addEventListener("click", async () => {
    createKey = createKey || crypto.randomUUID();
    const { status, json } = await call("POST", target(), body(), { "Idempotency-Key": createKey });
    $("result-status").textContent = String(status);
    $("result-id").textContent = status === 201 ? json.id : "";
    $("result-body").hidden = false;
    $("result-body").textContent = JSON.stringify(json, null, 2);
  });
})();
