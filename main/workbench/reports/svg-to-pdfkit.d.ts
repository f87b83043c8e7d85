// svg-to-pdfkit 0.1.8 ships no types; this is the part of its API the report uses.
declare module 'svg-to-pdfkit' {
  interface SvgToPdfOptions {
    width?: number;
    height?: number;
    preserveAspectRatio?: string;
    /** Picks the PDF font for an SVG font-family; returns a registered or standard font name. */
    fontCallback?: (family: string, bold: boolean, italic: boolean, fontOptions: { fauxBold?: boolean; fauxItalic?: boolean }) => string;
    warningCallback?: (message: string) => void;
    /** Treat SVG user units as PDF points (not 0.75 pt CSS pixels). */
    assumePt?: boolean;
    precision?: number;
  }
  export default function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: SvgToPdfOptions): void;
}
