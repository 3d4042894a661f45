// 社区服务大厅一站式查询: the hall page's script (plain JavaScript, no build step, no outside files).
//
// Why it is written this way:
// - The credential key lives in sessionStorage only (this tab, until it closes); requests send it as
//   `Authorization: Bearer`, with `credentials: "omit"`, so no cookie is ever involved.
// - Every value from the API is written with textContent, never as HTML: department data cannot run.
// - Header values may be Chinese (用途, 受理编号): they are percent-encoded, which the API reads back.
// - Results shown for one purpose and case are cleared when either changes: data disclosed for one
//   case must not linger on screen for another (限定用途).
"use strict";

(() => {
  const STORE = { key: "citizenHub.key", operator: "citizenHub.operator", purpose: "citizenHub.purpose",
    caseId: "citizenHub.caseId" };

  const FIELD_LABELS = {
    name: "姓名", id_number: "公民身份号码", birth_date: "出生日期", gender: "性别", ethnicity: "民族",
    marital_status: "婚姻状况", death_date: "死亡登记", phone: "联系电话", residence: "现居住地址",
    hukou_address: "户籍地址", street: "所属街道", community: "所属社区", household: "同住家庭成员",
    assistance_type: "社会救助", elderly_care: "养老服务对象", insurance_status: "社会保险参保",
    insurance_kinds: "参保险种", social_security_card: "社会保障卡", employer: "就业单位",
    family_doctor: "家庭医生签约", chronic_diseases: "慢病登记",
  };
  const GROUPS = [
    ["身份信息", ["name", "id_number", "birth_date", "gender", "ethnicity", "marital_status", "death_date"]],
    ["联系方式", ["phone"]],
    ["居住与户籍", ["residence", "hukou_address", "street", "community"]],
    ["家庭成员", ["household"]],
    ["部门事项", ["assistance_type", "elderly_care", "insurance_status", "insurance_kinds", "social_security_card",
      "employer", "family_doctor", "chronic_diseases"]],
  ];
  const HEALTH_FIELDS = new Set(["family_doctor", "chronic_diseases"]);
  // what `POST /citizens/{id}/reports` accepts (hub/window/reports.py REPORTABLE), in the page's order
  const REPORTABLE = ["residence", "phone", "name", "id_number", "birth_date", "gender", "ethnicity",
    "marital_status", "death_date", "hukou_address", "street", "community", "household", "assistance_type",
    "elderly_care", "insurance_status", "insurance_kinds", "social_security_card", "employer", "family_doctor",
    "chronic_diseases"];
  const VALUE_LABELS = {
    gender: { male: "男", female: "女" },
    marital_status: { unmarried: "未婚", married: "已婚", divorced: "离婚", widowed: "丧偶" },
    assistance_type: { minimum_living: "低保", extreme_poverty: "特困", temporary: "临时救助" },
    insurance_status: { contributing: "参保缴费", suspended: "暂停缴费", terminated: "终止参保" },
  };
  const DEPARTMENTS = { civil_affairs: "民政", health: "卫健", hrss: "人社", tax: "税务", commerce: "市场监管" };
  const GRADES = { certain: "确定匹配", probable: "很可能匹配", possible: "可能匹配" };

  // what to do next, shown after the problem's own Chinese title (hub/window/problems.py)
  const PROBLEM_TEXT = {
    "credential-missing": "请先登录。",
    "credential-invalid": "请向管理员确认凭证后重新登录。",
    "purpose-unknown": "请重新选择用途。",
    "purpose-not-allowed": "请选择本凭证可用的用途，或向管理员申请。",
    "case-id-missing": "请填写本次办理的事项/受理编号。",
    "case-id-invalid": "受理编号只能包含字母、数字、汉字和 - . / : # _，最长 64 个字符。",
    "grant-required": "请在“居民授权码”中填入居民出示的授权码后重新查询。",
    "grant-invalid": "授权码可能已过期，或不是为此用途、此居民出具的，请居民重新授权。",
    "invalid-query": "请检查身份证号、手机号、姓名或日期的写法。",
    "search-too-broad": "请输入身份证号，或姓名加完整出生日期（YYYY-MM-DD），或手机号。",
    "invalid-body": "请检查填写的内容后重试。",
    "body-too-large": "请精简后重试。",
    "not-found": "本凭证在所选用途下没有可以查看的该居民。",
    "rate-limited": "请稍后再试。",
    "read-model-unavailable": "请稍后再试；如持续出现，请联系运维。",
    "audit-unavailable": "为保护居民信息，审计无法记录时不提供查询，请稍后再试。",
  };
  const STATUS_TEXT = {
    400: "请求无效", 401: "未登录或凭证无效", 403: "无权查看", 404: "未找到", 413: "内容过大",
    422: "输入有误", 429: "请求过于频繁", 500: "服务内部错误", 502: "网关错误", 503: "服务暂不可用",
    504: "服务响应超时",
  };

  const state = { me: null, mode: "id", purposes: new Map(), openId: null };
  const $ = (id) => document.getElementById(id);

  // ---- small helpers -------------------------------------------------------------------------
  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null) continue;
        if (k === "text") node.textContent = String(v);
        else if (k === "class") node.className = v;
        else node.setAttribute(k, String(v));
      }
    }
    for (const child of children || []) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const TIME = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

  function when(value) {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    const p = Object.fromEntries(TIME.formatToParts(d).map((part) => [part.type, part.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  function dept(source) {
    return DEPARTMENTS[source] || source || "未知部门";
  }

  // ---- messages --------------------------------------------------------------------------------
  function clearMessage() {
    const box = $("message");
    box.hidden = true;
    box.replaceChildren();
    box.className = "message";
  }

  function showMessage(title, text, extra, kind) {
    const box = $("message");
    box.className = "message" + (kind === "info" ? " info" : "");
    box.replaceChildren(el("span", { class: "msg-title", text: title }), text ? "：" + text : "",
      extra ? el("span", { class: "msg-extra", text: extra }) : null);
    box.hidden = false;
  }

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super(problem && problem.detail ? problem.detail : "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
      this.retryAfter = retryAfter;
      const type = String(this.problem.type || "");
      this.slug = type.slice(type.lastIndexOf("/") + 1);
    }
  }

  function showError(err) {
    if (!(err instanceof ApiError)) {
      showMessage("无法连接服务", "请检查网络连接后重试。", String(err && err.message ? err.message : err));
      return;
    }
    const p = err.problem;
    const title = /[\u4e00-\u9fff]/.test(p.title || "") ? p.title : (STATUS_TEXT[err.status] || "请求失败");
    let text = PROBLEM_TEXT[err.slug] || STATUS_TEXT[err.status] || "请求未成功。";
    if (err.status === 429 && err.retryAfter) text = `请 ${err.retryAfter} 秒后再试。`;
    const extra = [`HTTP ${err.status}`];
    if (p.request_id) extra.push("请求编号 " + p.request_id);
    if (p.detail) extra.push("技术说明：" + p.detail);
    showMessage(title, text, extra.join(" · "));
  }

  // ---- the API ---------------------------------------------------------------------------------
  function enc(value) {
    return encodeURIComponent(value);
  }

  function currentPurpose() {
    return state.purposes.get($("purpose").value) || null;
  }

  function requestHeaders(withContext) {
    const key = sessionStorage.getItem(STORE.key) || "";
    const headers = { Accept: "application/json, application/problem+json", Authorization: "Bearer " + key };
    if (withContext) {
      headers["X-Purpose"] = enc($("purpose").value);
      headers["X-Case-Id"] = enc($("case-id").value.trim());
      const purpose = currentPurpose();
      const grant = $("grant").value.trim();
      if (purpose && purpose.grant && grant) headers["X-Resident-Grant"] = grant;
      const operator = sessionStorage.getItem(STORE.operator);
      if (operator) headers["X-Operator-Id"] = enc(operator);
    }
    return headers;
  }

  async function api(method, path, options) {
    const opts = options || {};
    const headers = requestHeaders(opts.context !== false);
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, credentials: "omit", cache: "no-store",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const err = new ApiError(response.status, data, response.headers.get("Retry-After"));
      if (err.status === 401 && opts.context !== false) signOut(false);
      throw err;
    }
    return { data, date: response.headers.get("Date") };
  }

  // ---- sign in / out ---------------------------------------------------------------------------
  function fillPurposes(me) {
    const select = $("purpose");
    state.purposes = new Map(me.purposes.map((p) => [p.name, p]));
    select.replaceChildren(...me.purposes.map((p) => el("option", { value: p.name, text: p.name })));
    const saved = sessionStorage.getItem(STORE.purpose);
    if (saved && state.purposes.has(saved)) select.value = saved;
    purposeChanged(false);
  }

  function showSignedIn(me) {
    state.me = me;
    $("who-name").textContent = me.name;
    const scope = me.jurisdiction.includes(me.city_code) ? "全市" : me.jurisdiction.join("、");
    $("who-scope").textContent = "辖区 " + scope;
    $("who").hidden = false;
    $("sign-in").hidden = true;
    $("workspace").hidden = false;
    fillPurposes(me);
    $("case-id").value = sessionStorage.getItem(STORE.caseId) || "";
    (($("case-id").value ? $("q-id") : $("case-id"))).focus();
  }

  async function signIn(event) {
    event.preventDefault();
    clearMessage();
    const key = $("key").value.trim();
    const operator = $("operator").value.trim();
    if (!key) {
      showMessage("请输入凭证密钥", "", "", "info");
      return;
    }
    sessionStorage.setItem(STORE.key, key);
    const button = $("sign-in-button");
    button.disabled = true;
    try {
      const { data } = await api("GET", "/window/me", { context: false });
      if (operator) sessionStorage.setItem(STORE.operator, operator);
      else sessionStorage.removeItem(STORE.operator);
      $("key").value = "";
      showSignedIn(data);
    } catch (err) {
      sessionStorage.removeItem(STORE.key);
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  function clearResults() {
    state.openId = null;
    $("candidates").replaceChildren();
    $("record").hidden = true;
    $("record-body").replaceChildren();
    $("report-result").hidden = true;
  }

  function signOut(clear) {
    for (const k of Object.values(STORE)) sessionStorage.removeItem(k);
    state.me = null;
    clearResults();
    $("grant").value = "";
    $("who").hidden = true;
    $("workspace").hidden = true;
    $("sign-in").hidden = false;
    if (clear) clearMessage();
  }

  // ---- purpose, case, search mode --------------------------------------------------------------
  function purposeChanged(userAction) {
    const purpose = currentPurpose();
    if (userAction) {
      clearResults();
      $("grant").value = "";
    }
    if (!purpose) return;
    sessionStorage.setItem(STORE.purpose, purpose.name);
    const notes = [purpose.description];
    if (purpose.city_wide) notes.push("通办：全市居民可查");
    if (purpose.grant) notes.push("需居民扫码授权");
    $("purpose-note").textContent = notes.filter(Boolean).join(" · ");
    $("grant-field").hidden = !purpose.grant;
  }

  function caseChanged() {
    clearResults();
    sessionStorage.setItem(STORE.caseId, $("case-id").value.trim());
  }

  function setMode(mode) {
    state.mode = mode;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", tab.dataset.mode === mode ? "true" : "false");
    }
    for (const field of document.querySelectorAll("#search-form [data-for]")) {
      field.hidden = field.dataset.for !== mode;
    }
  }

  function contextReady() {
    if (!$("case-id").value.trim()) {
      showMessage("请先填写受理编号", "每次查询都须说明所服务的事项（事项/受理编号），并记入审计。", "", "info");
      $("case-id").focus();
      return false;
    }
    return true;
  }

  // ---- search ----------------------------------------------------------------------------------
  function searchParams() {
    const params = new URLSearchParams();
    if (state.mode === "id") {
      const id = $("q-id").value.trim();
      if (!id) return null;
      params.set("id_number", id);
    } else if (state.mode === "name") {
      const name = $("q-name").value.trim();
      const birth = $("q-birth").value.trim();
      if (!name || !birth) return null;
      params.set("name", name);
      params.set("birth_date", birth);
      if ($("q-gender").value) params.set("gender", $("q-gender").value);
    } else {
      const phone = $("q-phone").value.trim();
      if (!phone) return null;
      params.set("phone", phone);
    }
    return params;
  }

  function valueText(field, fv) {
    if (!fv) return "";
    if (fv.mode === "presence") return fv.answer || "";
    return formatValue(field, fv.value);
  }

  async function search(event) {
    event.preventDefault();
    clearMessage();
    if (!contextReady()) return;
    const params = searchParams();
    if (!params) {
      showMessage("查询条件不足", "请输入身份证号，或姓名加完整出生日期（YYYY-MM-DD），或手机号。", "", "info");
      return;
    }
    clearResults();
    const button = $("search-button");
    button.disabled = true;
    try {
      const { data } = await api("GET", "/citizens?" + params.toString());
      renderCandidates(data);
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  function renderCandidates(result) {
    const box = $("candidates");
    if (!result.candidates.length) {
      box.replaceChildren(el("p", { class: "empty",
        text: "未找到符合条件的居民（或不在本凭证、本用途的查看范围内）。" }));
      return;
    }
    const items = result.candidates.map((c) => {
      const f = c.citizen.fields;
      const details = [];
      for (const name of ["id_number", "birth_date", "gender"]) {
        if (f[name]) details.push(FIELD_LABELS[name] + " " + valueText(name, f[name]));
      }
      if (f.residence) details.push(valueText("residence", f.residence));
      const open = el("button", { type: "button", class: "primary open", "data-cid": c.citizen.citizen_id,
        text: "打开档案" });
      open.addEventListener("click", () => openCitizen(c.citizen.citizen_id));
      return el("div", { class: "candidate", "data-cid": c.citizen.citizen_id }, [
        el("span", { class: "grade grade-" + c.grade, text: GRADES[c.grade] || c.grade }),
        el("div", { class: "c-main" }, [
          el("span", { class: "c-name", text: f.name ? valueText("name", f.name) : "（姓名未披露）" }),
          el("div", { class: "c-detail", text: details.join(" · ") }),
        ]),
        open,
      ]);
    });
    box.replaceChildren(el("p", { class: "hint", text: `找到 ${items.length} 位可查看的居民，查询时间 ${
      when(result.read_at)}` }), ...items);
  }

  // ---- the one-stop record ---------------------------------------------------------------------
  function formatValue(field, value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.map((v) => formatValue(field, v)).join("、");
    if (typeof value === "boolean") return value ? "是" : "否";
    if (typeof value === "object") {
      if (field === "residence") return value.text || value.address_id || "";
      if (field === "employer") return value.name || value.organization_id || "";
      return Object.values(value).filter((v) => v !== null && v !== undefined).join(" ");
    }
    const labels = VALUE_LABELS[field];
    return labels && labels[value] ? labels[value] : String(value);
  }

  function sourceCell(prov) {
    if (!prov) return el("td", { class: "source" });
    return el("td", { class: "source" }, [
      el("span", { class: "dept", title: prov.source, text: prov.source_label || dept(prov.source) }),
      `记录 ${prov.record} · 截至 ${when(prov.as_of)}`,
    ]);
  }

  function valueCell(field, fv) {
    const cell = el("td", { class: "value" });
    if (fv.mode === "presence") {
      cell.append(el("span", { text: fv.answer || "" }), el("span", { class: "badge badge-presence", text: "仅答有无" }));
    } else if (fv.mode === "masked") {
      cell.append(el("span", { class: "masked-value", text: formatValue(field, fv.value) }),
        el("span", { class: "badge badge-masked", text: "已脱敏" }));
    } else {
      cell.append(el("span", { text: formatValue(field, fv.value) }));
      if (field === "residence" && fv.value && fv.value.address_id) {
        cell.append(el("span", { class: "subtle", text: "地址编号 " + fv.value.address_id }));
      }
    }
    if (HEALTH_FIELDS.has(field)) cell.append(el("span", { class: "badge badge-health", text: "健康信息" }));
    return cell;
  }

  function householdCell(view) {
    const cell = el("td", { class: "value" });
    if (view.household.length === 0) {
      cell.append(el("span", { text: "无其他同住人员" }));
      return cell;
    }
    const list = el("ul", { class: "household" });
    for (const member of view.household) {
      const label = member.name ? formatValue("name", member.name.value) : "成员 " + member.citizen_id;
      const button = el("button", { type: "button", class: "member", "data-cid": member.citizen_id, text: label,
        title: "打开 " + member.citizen_id });
      button.addEventListener("click", () => openCitizen(member.citizen_id));
      const masked = member.name && member.name.mode === "masked"
        ? el("span", { class: "badge badge-masked", text: "已脱敏" }) : null;
      list.append(el("li", null, [button, masked]));
    }
    cell.append(list);
    return cell;
  }

  function renderRecord(view, readAt) {
    state.openId = view.citizen_id;
    const f = view.fields;
    $("record-title").textContent = f.name ? valueText("name", f.name) : "（姓名未披露）";
    $("record-title").dataset.cid = view.citizen_id;
    $("record-meta").textContent = `居民编号 ${view.citizen_id} · 用途 ${view.purpose} · 受理编号 ${
      $("case-id").value.trim()}`;
    const fresh = [];
    if (view.data_as_of) fresh.push(`数据截至 ${when(view.data_as_of)}（各部门最近一次变更）`);
    if (readAt) fresh.push(`读取于 ${when(readAt)}`);
    $("freshness").textContent = fresh.join("；");
    $("freshness").hidden = fresh.length === 0;
    const redirected = $("redirected");
    redirected.hidden = !view.redirected_from;
    redirected.textContent = view.redirected_from
      ? `所查编号 ${view.redirected_from} 已因档案合并停用，现显示合并后的档案。` : "";

    const body = $("record-body");
    body.replaceChildren();
    for (const [title, fields] of GROUPS) {
      const rows = [];
      for (const field of fields) {
        if (field === "household" && Array.isArray(view.household)) {
          rows.push(el("tr", { "data-field": field }, [el("th", { text: FIELD_LABELS[field] }), householdCell(view),
            el("td", { class: "source", text: "按现居住地址" })]));
          continue;
        }
        const fv = f[field];
        if (!fv) continue;
        rows.push(el("tr", { "data-field": field, "data-mode": fv.mode }, [
          el("th", { text: FIELD_LABELS[field] || field }), valueCell(field, fv), sourceCell(fv.provenance)]));
      }
      if (rows.length) {
        body.append(el("h3", { text: title }), el("table", { class: "facts" }, [el("tbody", null, rows)]));
      }
    }
    renderConflicts(view.conflicts);
    fillReportFields(f);
    $("report-result").hidden = true;
    $("record").hidden = false;
    $("record").scrollIntoView({ block: "start" });
  }

  // One side of a conflict: a field value as the API gives it (mode, value or answer, provenance).
  function conflictValue(side) {
    if (!side || typeof side !== "object") return String(side === undefined ? "" : side);
    const p = side.provenance || side;
    const parts = [];
    if (p.source) parts.push(p.source_label || dept(p.source));
    if (p.record_id || p.record) parts.push("记录 " + (p.record_id || p.record));
    if (side.mode === "presence") parts.push(side.answer || "部门间不一致");
    else parts.push("“" + formatValue("", side.value) + "”" + (side.mode === "masked" ? "（已脱敏）" : ""));
    if (p.updated_at || p.as_of) parts.push("截至 " + when(p.updated_at || p.as_of));
    return parts.join(" ");
  }

  // Open data-quality conflicts (多元校核), shown when the API includes them in the citizen view.
  function renderConflicts(conflicts) {
    const list = $("conflict-list");
    list.replaceChildren();
    const open = Array.isArray(conflicts) ? conflicts : [];
    for (const c of open) {
      const sides = Array.isArray(c.values) ? c.values : [c.authoritative, c.contradicting].filter(Boolean);
      list.append(el("li", { text: `${FIELD_LABELS[c.field] || c.field || "未知项目"}：${
        sides.map(conflictValue).join(" 与 ")}${c.status ? "（" + c.status + "）" : ""}` }));
    }
    $("conflicts").hidden = open.length === 0;
  }

  function fillReportFields(fields) {
    const select = $("report-field");
    const keep = select.value;
    select.replaceChildren(...REPORTABLE.map((name) => el("option", { value: name,
      text: FIELD_LABELS[name] + (fields[name] ? "" : "（本用途未显示）") })));
    if (keep) select.value = keep;
  }

  async function openCitizen(cid) {
    clearMessage();
    if (!contextReady()) return;
    try {
      const { data, date } = await api("GET", "/citizens/" + encodeURIComponent(cid));
      renderRecord(data, date);
    } catch (err) {
      showError(err);
    }
  }

  // ---- reports from the counter ----------------------------------------------------------------
  async function report(event) {
    event.preventDefault();
    clearMessage();
    if (!state.openId || !contextReady()) return;
    const field = $("report-field").value;
    const says = $("report-says").value.trim();
    const note = $("report-note").value.trim();
    if (!says) {
      showMessage("请填写居民所述", "", "", "info");
      return;
    }
    const body = { field, resident_says: says };
    if (note) body.note = note;
    const button = $("report-button");
    button.disabled = true;
    try {
      const { data } = await api("POST", `/citizens/${encodeURIComponent(state.openId)}/reports`, { body });
      const result = $("report-result");
      result.replaceChildren("已提交。报告编号 ", el("strong", { id: "report-id", text: data.report_id }),
        "，已转至 ", el("strong", { id: "report-owner", text: dept(data.owner) }),
        `（负责“${FIELD_LABELS[data.field] || data.field}”的部门）核实；状态：已提交，提交时间 ${
          when(data.submitted_at)}。`);
      result.hidden = false;
      $("report-says").value = "";
      $("report-note").value = "";
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  // ---- start -----------------------------------------------------------------------------------
  async function restore() {
    if (!sessionStorage.getItem(STORE.key)) return;
    try {
      const { data } = await api("GET", "/window/me", { context: false });
      showSignedIn(data);
    } catch (err) {
      signOut(false);
      showError(err);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut(true));
    $("purpose").addEventListener("change", () => purposeChanged(true));
    $("case-id").addEventListener("change", caseChanged);
    $("context-form").addEventListener("submit", (e) => e.preventDefault());
    $("search-form").addEventListener("submit", search);
    $("report-form").addEventListener("submit", report);
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => setMode(tab.dataset.mode));
    }
    setMode("id");
    restore();
  });
})();
