import ConcordChecker
import Foundation

/// A line chart drawn as inline SVG: a few series over shared axes, with
/// tick labels and a legend. No scripts and no external resources, so a page
/// that embeds it opens anywhere, offline.
struct BenchChart {
    /// One line.
    struct Series {
        var name: String
        var color: String
        /// Points in data coordinates, in increasing x.
        var points: [(x: Double, y: Double)]
        /// Whether to draw it as steps (for histograms) rather than straight segments.
        var steps = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    /// Whether the x axis is logarithmic (base 10); x values must then be positive.
    var logarithmicX = false
    var series: [Series]

    static let width = 560.0
    static let height = 300.0
    static let marginLeft = 64.0
    static let marginRight = 16.0
    static let marginTop = 28.0
    static let marginBottom = 44.0
    /// The most ticks on an axis.
    static let ticksMax = 6

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let points = series.flatMap(\.points).filter { !logarithmicX || $0.x > 0 }
        guard !points.isEmpty else {
            return "<p class=\"empty\">\(HTMLReport.escape(title)): no data</p>"
        }
        var xMin = points.map(\.x).min()!
        var xMax = points.map(\.x).max()!
        if logarithmicX {
            xMin = pow(10, floor(log10(xMin)))
            xMax = pow(10, ceil(log10(xMax)))
        }
        if xMax <= xMin { xMax = xMin + 1 }
        let yMax = Self.niceCeiling(max(points.map(\.y).max()!, 0))
        let plotWidth = Self.width - Self.marginLeft - Self.marginRight
        let plotHeight = Self.height - Self.marginTop - Self.marginBottom
        func px(_ x: Double) -> Double {
            let fraction = logarithmicX ? (log10(x) - log10(xMin)) / (log10(xMax) - log10(xMin)) : (x - xMin) / (xMax - xMin)
            return Self.marginLeft + fraction * plotWidth
        }
        func py(_ y: Double) -> Double {
            Self.marginTop + plotHeight - (yMax > 0 ? y / yMax : 0) * plotHeight
        }
        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"\(HTMLReport.escape(title))\">"
        out += "<title>\(HTMLReport.escape(title))</title>"
        out += "<text class=\"chart-title\" x=\"\(Self.marginLeft)\" y=\"16\">\(HTMLReport.escape(title))</text>"
        // Axes and ticks.
        let bottom = Self.marginTop + plotHeight
        out += "<line class=\"axis\" x1=\"\(Self.marginLeft)\" y1=\"\(bottom)\" x2=\"\(Self.marginLeft + plotWidth)\" y2=\"\(bottom)\"/>"
        out += "<line class=\"axis\" x1=\"\(Self.marginLeft)\" y1=\"\(Self.marginTop)\" x2=\"\(Self.marginLeft)\" y2=\"\(bottom)\"/>"
        for tick in xTicks(xMin, xMax) {
            let x = Self.format(px(tick))
            out += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(Self.marginTop)\" x2=\"\(x)\" y2=\"\(bottom)\"/>"
            out += "<text class=\"tick\" x=\"\(x)\" y=\"\(Self.format(bottom + 16))\" text-anchor=\"middle\">\(Self.label(tick))</text>"
        }
        for tick in Self.linearTicks(0, yMax) {
            let y = Self.format(py(tick))
            out += "<line class=\"grid\" x1=\"\(Self.marginLeft)\" y1=\"\(y)\" x2=\"\(Self.marginLeft + plotWidth)\" y2=\"\(y)\"/>"
            out += "<text class=\"tick\" x=\"\(Self.format(Self.marginLeft - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.label(tick))</text>"
        }
        out += "<text class=\"axis-label\" x=\"\(Self.format(Self.marginLeft + plotWidth / 2))\" y=\"\(Self.format(Self.height - 6))\" text-anchor=\"middle\">\(HTMLReport.escape(xLabel))</text>"
        out += "<text class=\"axis-label\" transform=\"translate(14 \(Self.format(Self.marginTop + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTMLReport.escape(yLabel))</text>"
        // Lines.
        for line in series {
            let visible = line.points.filter { !logarithmicX || $0.x > 0 }
            guard !visible.isEmpty else { continue }
            var coordinates: [String] = []
            var previousY: Double?
            for point in visible {
                let x = Self.format(px(point.x))
                if line.steps, let previousY { coordinates.append("\(x),\(Self.format(py(previousY)))") }
                coordinates.append("\(x),\(Self.format(py(point.y)))")
                previousY = point.y
            }
            out += "<polyline class=\"series\" stroke=\"\(line.color)\" points=\"\(coordinates.joined(separator: " "))\"><title>\(HTMLReport.escape(line.name))</title></polyline>"
        }
        out += "</svg>"
        return out
    }

    private func xTicks(_ low: Double, _ high: Double) -> [Double] {
        guard logarithmicX else { return Self.linearTicks(low, high) }
        var ticks: [Double] = []
        var decade = low
        while decade <= high * 1.000001 {
            ticks.append(decade)
            decade *= 10
        }
        if ticks.count <= 3 {
            ticks = ticks.flatMap { [$0, $0 * 2, $0 * 5] }.filter { $0 <= high * 1.000001 }
        }
        return ticks
    }

    /// Round ticks from `low` to `high`.
    static func linearTicks(_ low: Double, _ high: Double) -> [Double] {
        guard high > low else { return [low] }
        let step = niceStep((high - low) / Double(ticksMax - 1))
        var ticks: [Double] = []
        var tick = (low / step).rounded(.up) * step
        while tick <= high + step * 1e-9 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, floor(log10(raw)))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= raw {
            return multiple * power
        }
        return 10 * power
    }

    /// A round value at least `value`, for the top of an axis.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let step = niceStep(value / Double(ticksMax - 1))
        return (value / step).rounded(.up) * step
    }

    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 1000 { return String(format: "%.0f", value) }
        if abs(value) >= 1 { return value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.1f", value) }
        return String(format: "%g", value)
    }

    static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
