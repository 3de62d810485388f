import ConcordChecker
import Foundation

/// A self-contained HTML page of `concord bench` runs: for each workload and
/// client count, a table of the runs, their latency histograms on one chart
/// and their throughput over time on another, each side (``BenchRun/label``:
/// `etcd`, `concord`, ...) in its own colour. Inline CSS and SVG only: no
/// scripts, no fonts, nothing fetched, so it opens offline.
public enum BenchPage {
    /// Display bins per decade of latency on the histogram chart.
    static let latencyBinsPerDecade = 20
    /// The most points of a throughput line; finer series are summed into
    /// wider intervals.
    static let throughputPointsMax = 150
    /// Colours by side, in order of first appearance.
    static let palette = ["#1f6fb4", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#495057"]

    /// The page for `runs`, grouped by workload and client count in order of
    /// first appearance.
    /// - Parameters:
    ///   - runs: the runs to draw.
    ///   - title: the page's heading.
    /// - Returns: the whole HTML document.
    public static func render(_ runs: [BenchRun], title: String) -> String {
        var labels: [String] = []
        for run in runs where !labels.contains(run.label) { labels.append(run.label) }
        let colors = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, palette[$0 % palette.count]) })
        var groups: [(key: String, runs: [BenchRun])] = []
        for run in runs {
            let key = "\(run.workload), \(run.clients) client\(run.clients == 1 ? "" : "s")"
            if let index = groups.firstIndex(where: { $0.key == key }) {
                groups[index].runs.append(run)
            } else {
                groups.append((key, [run]))
            }
        }
        var html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<title>\(HTMLReport.escape(title))</title><style>\(style)</style></head><body>"
        html += "<h1>\(HTMLReport.escape(title))</h1>"
        html += "<p class=\"summary\">\(runs.count) run\(runs.count == 1 ? "" : "s") in \(groups.count) group\(groups.count == 1 ? "" : "s")"
        if !labels.isEmpty, labels != [""] {
            html += "; sides: " + labels.map { "<span class=\"swatch\" style=\"background:\(colors[$0]!)\"></span>\(HTMLReport.escape(sideName($0)))" }.joined(separator: " ")
        }
        html += "</p>"
        for group in groups {
            html += section(group.key, group.runs, colors)
        }
        html += "</body></html>\n"
        return html
    }

    private static func sideName(_ label: String) -> String {
        label.isEmpty ? "run" : label
    }

    /// Names each run by its side and, when a side ran more than once, its round.
    private static func runNames(_ runs: [BenchRun]) -> [String] {
        var seen: [String: Int] = [:]
        let totals = Dictionary(grouping: runs, by: \.label).mapValues(\.count)
        return runs.map { run in
            seen[run.label, default: 0] += 1
            let side = sideName(run.label)
            return totals[run.label]! > 1 ? "\(side) #\(seen[run.label]!)" : side
        }
    }

    private static func section(_ heading: String, _ runs: [BenchRun], _ colors: [String: String]) -> String {
        let names = runNames(runs)
        var html = "<section><h2>\(HTMLReport.escape(heading))</h2>"
        html += "<table><thead><tr><th>run</th><th>req/s</th><th>ok</th><th>errors</th><th>seconds</th>"
        html += "<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr></thead><tbody>"
        for (run, name) in zip(runs, names) {
            let latency = { (key: String) in run.latencyMilliseconds[key].map { String(format: "%.3f", $0) } ?? "-" }
            html += "<tr><td><span class=\"swatch\" style=\"background:\(colors[run.label]!)\"></span>\(HTMLReport.escape(name))</td>"
            html += "<td>\(String(format: "%.0f", run.requestsPerSecond))</td><td>\(run.succeeded)</td>"
            html += "<td\(run.errors > 0 ? " class=\"bad\"" : "")>\(run.errors)</td><td>\(String(format: "%.2f", run.seconds))</td>"
            html += ["p50", "p90", "p99", "p99.9", "max"].map { "<td>\(latency($0))</td>" }.joined() + "</tr>"
        }
        html += "</tbody></table>"
        let firstErrors = zip(runs, names).compactMap { run, name in run.firstError.map { "\(name): \($0)" } }
        if !firstErrors.isEmpty {
            html += "<p class=\"bad\">first errors: " + firstErrors.map(HTMLReport.escape).joined(separator: "; ") + "</p>"
        }
        html += "<div class=\"charts\">"
        html += latencyChart(heading, runs, names, colors).svg()
        html += throughputChart(heading, runs, names, colors).svg()
        html += "</div>"
        html += "<details><summary>commands</summary><pre>"
        html += Set(runs.map(\.command)).sorted().map(HTMLReport.escape).joined(separator: "\n")
        html += "</pre></details></section>"
        return html
    }

    /// Each run's latency distribution: the share of its requests per
    /// logarithmic bin, so runs of different lengths compare.
    static func latencyChart(_ heading: String, _ runs: [BenchRun], _ names: [String], _ colors: [String: String]) -> BenchChart {
        let series = zip(runs, names).map { run, name in
            BenchChart.Series(name: name, color: colors[run.label]!, points: latencyShares(run), steps: true)
        }
        return BenchChart(
            title: "\(heading): latency histogram", xLabel: "latency, ms (log scale)", yLabel: "% of requests",
            logarithmicX: true, series: series)
    }

    /// The share of requests (in percent) per display bin, as points at
    /// each bin's upper bound, with a zero point before the first.
    static func latencyShares(_ run: BenchRun) -> [(x: Double, y: Double)] {
        let buckets = run.latencyBuckets.filter { $0.upperMilliseconds > 0 && $0.count > 0 }
        let total = buckets.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        var bins: [Int: UInt64] = [:]
        for bucket in buckets {
            let bin = Int((log10(bucket.upperMilliseconds) * Double(latencyBinsPerDecade)).rounded(.up))
            bins[bin, default: 0] += bucket.count
        }
        let first = bins.keys.min()!
        let last = bins.keys.max()!
        var points: [(x: Double, y: Double)] = [(pow(10, Double(first - 1) / Double(latencyBinsPerDecade)), 0)]
        for bin in first...last {
            let share = Double(bins[bin] ?? 0) * 100 / Double(total)
            points.append((pow(10, Double(bin) / Double(latencyBinsPerDecade)), share))
        }
        return points
    }

    /// Each run's requests per second over its duration.
    static func throughputChart(_ heading: String, _ runs: [BenchRun], _ names: [String], _ colors: [String: String]) -> BenchChart {
        let series = zip(runs, names).map { run, name in
            BenchChart.Series(name: name, color: colors[run.label]!, points: throughputPoints(run.throughput))
        }
        return BenchChart(title: "\(heading): throughput over time", xLabel: "seconds since start", yLabel: "requests/s", series: series)
    }

    /// The series summed into at most ``throughputPointsMax`` intervals, as
    /// requests per second at each interval's end.
    static func throughputPoints(_ throughput: BenchRun.Throughput) -> [(x: Double, y: Double)] {
        let counts = throughput.completions
        guard !counts.isEmpty else { return [] }
        let group = (counts.count + throughputPointsMax - 1) / throughputPointsMax
        let seconds = Double(throughput.intervalMilliseconds * group) / 1000
        var points: [(x: Double, y: Double)] = [(0, 0)]
        var start = 0
        while start < counts.count {
            let end = min(start + group, counts.count)
            let sum = counts[start..<end].reduce(0) { $0 + Double($1) }
            let width = Double(throughput.intervalMilliseconds * (end - start)) / 1000
            points.append((Double(end) * seconds / Double(group), sum / width))
            start = end
        }
        return points
    }

    static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212529;max-width:1200px}
    h1{font-size:20px}h2{font-size:16px;margin-top:28px}
    table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dee2e6;padding:3px 8px;text-align:right}
    th:first-child,td:first-child{text-align:left}.bad{color:#c92a2a}
    .swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
    .charts{display:flex;flex-wrap:wrap;gap:12px}.chart{width:560px;height:300px;background:#fff;border:1px solid #e9ecef}
    .axis{stroke:#495057}.grid{stroke:#f1f3f5}.tick{font-size:11px;fill:#495057}.axis-label{font-size:12px;fill:#343a40}
    .chart-title{font-size:13px;font-weight:600;fill:#212529}.series{fill:none;stroke-width:1.6;stroke-opacity:.85}
    pre{font-size:12px;white-space:pre-wrap}
    """
}
