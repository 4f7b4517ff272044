package io.cachepipe.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The eviction-cost benchmark's plot: each method's median cost against keyspace size. */
final class EvictionCostPlot {

  private EvictionCostPlot() {}

  /** Median cost per method against keyspace size, log-log. */
  static String svg(List<Map<String, Object>> rows) {
    int w = 640, h = 360, left = 70, right = 150, top = 30, bottom = 50;
    double minX = Double.MAX_VALUE, maxX = 1, minY = Double.MAX_VALUE, maxY = 0.001;
    String[] methods = {"tag_eviction", "keys_pattern_del", "scan_del"};
    String[] colours = {"#2ca02c", "#d62728", "#ff7f0e"};
    for (Map<String, Object> row : rows) {
      double x = ((Number) row.get("keys")).doubleValue();
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      for (String m : methods) {
        double y = median(row, m);
        minY = Math.min(minY, Math.max(y, 0.001));
        maxY = Math.max(maxY, y);
      }
    }
    double lx0 = Math.log10(minX) - 0.2, lx1 = Math.log10(maxX) + 0.2;
    double ly0 = Math.floor(Math.log10(minY)), ly1 = Math.ceil(Math.log10(maxY));
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n"
                + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                + "<text x=\"%d\" y=\"18\" font-size=\"14\">invalidating one author: median time"
                + " vs keyspace (log-log)</text>%n",
            w,
            h,
            left));
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n"
                + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
            left,
            h - bottom,
            w - right,
            h - bottom,
            left,
            h - bottom,
            left,
            top));
    for (double e = ly0; e <= ly1; e++) {
      int py = (int) (h - bottom - (e - ly0) / (ly1 - ly0) * (h - top - bottom));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s ms</text>%n",
              left - 6,
              py + 4,
              trim(Math.pow(10, e))));
    }
    for (Map<String, Object> row : rows) {
      double x = ((Number) row.get("keys")).doubleValue();
      int px = (int) (left + (Math.log10(x) - lx0) / (lx1 - lx0) * (w - left - right));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%,.0f</text>%n",
              px,
              h - bottom + 16,
              x));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">keys in Redis</text>%n",
            (left + w - right) / 2,
            h - 12));
    for (int i = 0; i < methods.length; i++) {
      StringBuilder points = new StringBuilder();
      for (Map<String, Object> row : rows) {
        double x = ((Number) row.get("keys")).doubleValue();
        double y = Math.max(median(row, methods[i]), 0.001);
        int px = (int) (left + (Math.log10(x) - lx0) / (lx1 - lx0) * (w - left - right));
        int py = (int) (h - bottom - (Math.log10(y) - ly0) / (ly1 - ly0) * (h - top - bottom));
        points.append(px).append(',').append(py).append(' ');
        s.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>%n",
                px,
                py,
                colours[i]));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n"
                  + "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n",
              colours[i],
              points.toString().trim(),
              w - right + 10,
              top + 20 + 18 * i,
              colours[i],
              methods[i]));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  @SuppressWarnings("unchecked")
  private static double median(Map<String, Object> row, String method) {
    return ((Number) ((Map<String, Object>) row.get(method)).get("median_ms")).doubleValue();
  }

  private static String trim(double v) {
    return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
  }
}
