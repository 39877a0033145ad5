// Building DOM from code, for the host's sheets and screens, without innerHTML.
// @ts-check

/**
 * A child of an element: nulls, undefined and false are left out, arrays are flattened.
 * @typedef {Node | string | null | undefined | false} Child
 */

/**
 * An element with attributes, properties, listeners and children: el("p", {className: "x"}, "text", child).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name in element && typeof value !== "string") /** @type {Record<string, any>} */ (element)[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/**
 * The element under `root` that the page's own markup always has (index.html, the screens' own
 * templates): a typed querySelector that does not claim it may be missing. Still null if it is.
 * @template {Element} [T=HTMLElement]
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {T}
 */
export function part(root, selector) {
  return /** @type {T} */ (root.querySelector(selector));
}

/**
 * An element of the page by id that its template always has; see part().
 * @template {Element} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  return /** @type {T} */ (/** @type {unknown} */ (document.getElementById(id)));
}

/**
 * Makes `nodes` the children of `parent`, in order, moving only those not already in place: a node
 * that stays where it is is not detached, so a press on it keeps its release (a click) and its focus.
 * @param {Element} parent
 * @param {Element[]} nodes
 */
export function placeChildren(parent, nodes) {
  nodes.forEach((node, at) => {
    const here = parent.children[at] ?? null;
    if (here !== node) parent.insertBefore(node, here);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild?.remove();
}
