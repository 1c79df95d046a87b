// The SVG plot: latency percentiles (log scale) over throughput and connections open, one
// point a second, with the phases marked. Plain SVG 1.1 with no script, so it renders anywhere
// (browsers, GitHub).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "report.h"
#include "units.h"

namespace slbench {

namespace {

constexpr double kWidth = 900, kLeft = 70, kRight = 20;
constexpr double kTop1 = 50, kHeight1 = 260;   // latency panel
constexpr double kTop2 = 370, kHeight2 = 180;  // throughput panel
constexpr double kTotalHeight = 610;

std::string Num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

struct Series {
  const char* label;
  const char* color;
  std::vector<std::pair<double, double>> points;  // (second, value)
};

std::string Polyline(const Series& s, double (*x)(double, double), double xmax,
                     const std::function<double(double)>& y) {
  if (s.points.empty()) return "";
  std::string pts;
  for (const auto& [t, v] : s.points) pts += Num(x(t, xmax)) + "," + Num(y(v)) + " ";
  return "<polyline fill=\"none\" stroke=\"" + std::string(s.color) +
         "\" stroke-width=\"1.5\" points=\"" + pts + "\"/>\n";
}

double X(double t, double xmax) {
  return kLeft + (kWidth - kLeft - kRight) * t / std::max(xmax, 1.0);
}

}  // namespace

std::string PlotSvg(const RunResult& r) {
  // Which latency to draw: deliveries when there are any, else acks, else pings, else the
  // setup of connections (the setup and reconnect workloads).
  bool has_delivery = false, has_ack = false, has_ping = false, has_setup = false;
  for (const auto& m : r.timeline) {
    has_delivery = has_delivery || m.delivery.count;
    has_ack = has_ack || m.ack.count;
    has_ping = has_ping || m.ping.count;
    has_setup = has_setup || m.setup.count;
  }
  auto pick = [&](const MergedInterval& m) -> const Percentiles& {
    return has_delivery ? m.delivery : has_ack ? m.ack : has_ping ? m.ping : m.setup;
  };
  std::string what =
      has_delivery ? "delivery latency, ms (log scale), from the intended send time"
      : has_ack    ? "ack latency, ms (log scale), from the intended send time"
      : has_ping   ? "ping latency, ms (log scale), from the intended send time"
      : has_setup  ? "connection setup (connect, upgrade, auth, join or sync), ms (log scale)"
                   : "no latency timed in this run (file transfers are timed per file: see the "
                     "report)";

  Series p50{"p50", "#1f77b4", {}}, p99{"p99", "#ff7f0e", {}}, p999{"p99.9", "#d62728", {}},
      pmax{"max", "#7f7f7f", {}};
  Series sent{"sent/s", "#2ca02c", {}}, answered{"answered/s", "#9467bd", {}},
      delivered{"delivered/s", "#17becf", {}}, setups{"setups/s", "#bcbd22", {}},
      open{"open", "#8c564b", {}};
  double lat_min = 1e18, lat_max = 0, rate_max = 1, xmax = 1;
  for (const auto& m : r.timeline) {
    double t = m.second + 0.5;
    xmax = std::max(xmax, static_cast<double>(m.second + 1));
    const Percentiles& p = pick(m);
    if (p.count) {
      double ms[] = {NsToMs(p.p50), NsToMs(p.p99), NsToMs(p.p999), NsToMs(p.max)};
      Series* s[] = {&p50, &p99, &p999, &pmax};
      for (int i = 0; i < 4; ++i) {
        double v = std::max(ms[i], 0.001);
        s[i]->points.emplace_back(t, v);
        lat_min = std::min(lat_min, v);
        lat_max = std::max(lat_max, v);
      }
    }
    sent.points.emplace_back(t, static_cast<double>(m.sent));
    answered.points.emplace_back(t, static_cast<double>(m.answered));
    delivered.points.emplace_back(t, static_cast<double>(m.delivered));
    setups.points.emplace_back(t, static_cast<double>(m.setups));
    open.points.emplace_back(t, static_cast<double>(m.open));
    rate_max = std::max({rate_max, static_cast<double>(m.sent), static_cast<double>(m.answered),
                         static_cast<double>(m.delivered), static_cast<double>(m.setups),
                         static_cast<double>(m.open)});
  }
  if (lat_max == 0) lat_min = 0.01, lat_max = 1;
  double lo = std::pow(10, std::floor(std::log10(lat_min)));
  double hi = std::pow(10, std::ceil(std::log10(lat_max)));
  if (hi <= lo) hi = lo * 10;
  auto ylat = [&](double v) {
    double f = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return kTop1 + kHeight1 * (1 - f);
  };
  // Throughput on a log scale too: sends and deliveries may differ by the room size.
  // Zero sits on the bottom line.
  double rate_top = std::pow(10, std::ceil(std::log10(rate_max * 1.05)));
  double rate_lo = std::max(1.0, rate_top / 1e6);
  auto yrate = [&](double v) {
    double f = (std::log10(std::max(v, rate_lo)) - std::log10(rate_lo)) /
               (std::log10(rate_top) - std::log10(rate_lo));
    return kTop2 + kHeight2 * (1 - f);
  };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(kWidth) +
                    "\" height=\"" + Num(kTotalHeight) + "\" viewBox=\"0 0 " + Num(kWidth) + " " +
                    Num(kTotalHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + Num(kLeft) + "\" y=\"22\" font-size=\"14\" font-weight=\"bold\">" +
         Escape("slbench " + r.plan.scenario.name + " against " + r.plan.scenario.url) +
         "</text>\n";
  svg += "<text x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop1 - 8) + "\">" + what + "</text>\n";
  svg += "<text x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop2 - 8) +
         "\">per second, and connections open (log scale)</text>\n";

  // Axes and grid.
  double right = kWidth - kRight;
  for (double v = lo; v <= hi * 1.001; v *= 10) {
    double y = ylat(v);
    svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(right) + "\" y2=\"" +
           Num(y) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           FormatNs(static_cast<int64_t>(v * kNsPerMs)) + "</text>\n";
  }
  for (double v = rate_lo; v <= rate_top * 1.001; v *= 10) {
    double y = yrate(v);
    svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(right) + "\" y2=\"" +
           Num(y) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           FormatCount(v) + "</text>\n";
  }
  int step = xmax > 120 ? 30 : xmax > 40 ? 10 : xmax > 10 ? 5 : 1;
  for (int t = 0; t <= static_cast<int>(xmax); t += step) {
    svg += "<text x=\"" + Num(X(t, xmax)) + "\" y=\"" + Num(kTop2 + kHeight2 + 16) +
           "\" text-anchor=\"middle\">" + std::to_string(t) + "s</text>\n";
  }

  // Phase boundaries.
  const auto& phases = r.plan.scenario.phases;
  for (size_t i = 0; i < phases.size(); ++i) {
    double t = static_cast<double>(r.plan.phase_start_ns[i] - r.plan.t0_ns) / kNsPerSec;
    double x = X(t, xmax);
    svg += "<line x1=\"" + Num(x) + "\" y1=\"" + Num(kTop1) + "\" x2=\"" + Num(x) + "\" y2=\"" +
           Num(kTop2 + kHeight2) + "\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n";
    svg += "<text x=\"" + Num(x + 3) + "\" y=\"" + Num(kTop1 + 12) + "\" fill=\"#555\">" +
           Escape(phases[i].name) + (phases[i].warmup ? " (warm-up)" : "") + "</text>\n";
  }

  for (const Series* s : {&pmax, &p999, &p99, &p50}) svg += Polyline(*s, X, xmax, ylat);
  // Only what the run did: an idle run has connections and nothing else.
  std::vector<const Series*> lower;
  for (const Series* s : {&sent, &answered, &delivered, &setups, &open}) {
    if (std::any_of(s->points.begin(), s->points.end(), [](auto& p) { return p.second > 0; })) {
      lower.push_back(s);
      svg += Polyline(*s, X, xmax, yrate);
    }
  }

  // Legends, right-aligned above each panel.
  auto legend = [&](const std::vector<const Series*>& series, double y, double width) {
    double lx = right - width * static_cast<double>(series.size());
    for (const Series* s : series) {
      svg += "<rect x=\"" + Num(lx) + "\" y=\"" + Num(y - 4) +
             "\" width=\"12\" height=\"3\" fill=\"" + s->color + "\"/><text x=\"" + Num(lx + 16) +
             "\" y=\"" + Num(y) + "\">" + s->label + "</text>\n";
      lx += width;
    }
  };
  if (!p50.points.empty()) legend({&p50, &p99, &p999, &pmax}, kTop1 - 8, 60);
  legend(lower, kTop2 - 8, 95);
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop1) + "\" width=\"" + Num(right - kLeft) +
         "\" height=\"" + Num(kHeight1) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop2) + "\" width=\"" + Num(right - kLeft) +
         "\" height=\"" + Num(kHeight2) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace slbench
