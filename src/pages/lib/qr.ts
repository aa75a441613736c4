// QR codes drawn in the browser from the bundled encoder (uqr, MIT), so a page needs no network
// (docs/pages.md#dom-sound-qr-codes). One SVG path for all dark modules: small and sharp at any size.
import { encode } from "uqr";

const SVG = "http://www.w3.org/2000/svg";

export interface QrOptions {
  /** Error correction (default "M": survives a projector's glare and a bit of keystone). */
  ecc?: "L" | "M" | "Q" | "H";
  /** Accessible label (default: the encoded text). */
  label?: string;
}

/** An <svg class="sb-qr"> encoding `text`, dark modules on white with the standard 4-module quiet zone. */
export function qrSvg(text: string, opts: QrOptions = {}): SVGSVGElement {
  const qr = encode(text, { ecc: opts.ecc ?? "M", border: 0 });
  const quiet = 4;
  const n = qr.size + 2 * quiet;
  let d = "";
  qr.data.forEach((row, y) => {
    // One horizontal run per stretch of dark modules.
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let end = x;
      while (end + 1 < row.length && row[end + 1]) end++;
      d += `M${x + quiet} ${y + quiet}h${end - x + 1}v1H${x + quiet}z`;
      x = end;
    }
  });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${n} ${n}`);
  svg.setAttribute("class", "sb-qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", opts.label ?? text);
  svg.setAttribute("shape-rendering", "crispEdges");
  const bg = document.createElementNS(SVG, "rect");
  bg.setAttribute("width", String(n));
  bg.setAttribute("height", String(n));
  bg.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  return svg;
}
