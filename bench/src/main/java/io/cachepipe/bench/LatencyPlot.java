package io.cachepipe.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Latency against achieved load as a small self-contained SVG (no script, no external asset). */
final class LatencyPlot {

  private static final int WIDTH = 640;
  private static final int HEIGHT = 360;
  private static final int LEFT = 60;
  private static final int RIGHT = 20;
  private static final int TOP = 30;
  private static final int BOTTOM = 50;

  private LatencyPlot() {}

  static String svg(List<Map<String, Object>> results, int rowsPerTx) {
    double maxX = 1;
    double minY = Double.MAX_VALUE;
    double maxY = 1;
    for (Map<String, Object> r : results) {
      maxX = Math.max(maxX, number(r, "achieved_rate"));
      maxY = Math.max(maxY, number(r, "p99_ms"));
      minY = Math.min(minY, Math.max(0.1, number(r, "p50_ms")));
    }
    maxX *= 1.1;
    // Log scale: a backlog's seconds and a quiet pipeline's milliseconds on one plot.
    double lowExp = Math.floor(Math.log10(Math.min(minY, maxY)));
    double highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(maxY)));
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH,
            HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"18\" font-size=\"14\">commit → eviction latency (ms, log scale) vs load"
                + " (%d-row transactions)</text>%n",
            LEFT,
            rowsPerTx));
    int x0 = LEFT;
    int y0 = HEIGHT - BOTTOM;
    int x1 = WIDTH - RIGHT;
    svg.append(line(x0, y0, x1, y0)).append(line(x0, y0, x0, TOP));
    for (int i = 0; i <= 4; i++) {
      double vx = maxX * i / 4;
      svg.append(text(x(vx, maxX), y0 + 16, String.format(Locale.ROOT, "%.0f", vx), "middle"));
    }
    for (double e = lowExp; e <= highExp; e++) {
      int py = y(Math.pow(10, e), lowExp, highExp);
      svg.append(text(x0 - 6, py + 4, String.format(Locale.ROOT, "%s", label(e)), "end"));
    }
    svg.append(text((x0 + x1) / 2, HEIGHT - 12, "achieved changes/s", "middle"));
    svg.append(text(14, TOP - 8, "ms", "start"));
    series(svg, results, "p50_ms", "#1f77b4", maxX, lowExp, highExp);
    series(svg, results, "p99_ms", "#d62728", maxX, lowExp, highExp);
    svg.append(text(x1 - 90, TOP + 10, "p50", "start").replace("<text", "<text fill=\"#1f77b4\""));
    svg.append(text(x1 - 50, TOP + 10, "p99", "start").replace("<text", "<text fill=\"#d62728\""));
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void series(
      StringBuilder svg,
      List<Map<String, Object>> results,
      String field,
      String colour,
      double maxX,
      double lowExp,
      double highExp) {
    StringBuilder points = new StringBuilder();
    for (Map<String, Object> r : results) {
      int px = x(number(r, "achieved_rate"), maxX);
      int py = y(Math.max(0.1, number(r, field)), lowExp, highExp);
      points.append(px).append(',').append(py).append(' ');
      svg.append(
          String.format(
              Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>%n", px, py, colour));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
            colour,
            points.toString().trim()));
  }

  private static int x(double value, double max) {
    return LEFT + (int) Math.round(value / max * (WIDTH - LEFT - RIGHT));
  }

  private static int y(double value, double lowExp, double highExp) {
    double f = (Math.log10(value) - lowExp) / (highExp - lowExp);
    return HEIGHT - BOTTOM - (int) Math.round(f * (HEIGHT - BOTTOM - TOP));
  }

  private static String label(double exponent) {
    double v = Math.pow(10, exponent);
    return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String line(int xa, int ya, int xb, int yb) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
        xa,
        ya,
        xb,
        yb);
  }

  private static String text(int x, int y, String s, String anchor) {
    return String.format(
        Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>%n", x, y, anchor, s);
  }

  private static double number(Map<String, Object> r, String field) {
    return r.get(field) instanceof Number n ? n.doubleValue() : 0;
  }
}
