@testable import ConcordLab
import Foundation
import Testing

@Suite struct BenchPageTests {
    private func run(
        label: String, workload: String = "put", clients: Int = 64, requestsPerSecond: Double = 5_000,
        buckets: [BenchRun.LatencyBucket], completions: [UInt32], firstError: String? = nil
    ) -> BenchRun {
        BenchRun(
            label: label, command: "concord bench \(workload) --clients \(clients) --label \(label)", workload: workload,
            endpoints: ["127.0.0.1:2379"], clients: clients, connections: 8, total: 10_000, keySize: 8, valueSize: 256,
            keySpace: 10_000, succeeded: buckets.reduce(0) { $0 + $1.count }, errors: firstError == nil ? 0 : 1,
            firstError: firstError, seconds: 2, requestsPerSecond: requestsPerSecond,
            latencyMilliseconds: ["mean": 1.5, "p50": 1.25, "p90": 2.5, "p99": 4.75, "p99.9": 9.5, "max": 12],
            latencyBuckets: buckets, throughput: .init(intervalMilliseconds: 10, completions: completions))
    }

    private let buckets = [
        BenchRun.LatencyBucket(upperMilliseconds: 0.8, count: 10),
        BenchRun.LatencyBucket(upperMilliseconds: 1.2, count: 60),
        BenchRun.LatencyBucket(upperMilliseconds: 4.0, count: 25),
        BenchRun.LatencyBucket(upperMilliseconds: 12.0, count: 5),
    ]

    @Test func pageDrawsBothSidesOfEachGroupWithoutAnythingFetched() {
        let runs = [
            run(label: "etcd", buckets: buckets, completions: [UInt32](repeating: 50, count: 200)),
            run(label: "concord", requestsPerSecond: 6_000, buckets: buckets, completions: [UInt32](repeating: 60, count: 200)),
            run(label: "etcd", workload: "range", clients: 1, buckets: buckets, completions: [3, 4, 5]),
            run(label: "concord", workload: "range", clients: 1, buckets: buckets, completions: [5, 5, 5]),
        ]
        let page = BenchPage.render(runs, title: "Concord vs etcd")
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<h2>put, 64 clients</h2>"))
        #expect(page.contains("<h2>range, 1 client</h2>"))
        // Two charts per group, one line per run on each.
        #expect(page.components(separatedBy: "<svg ").count - 1 == 4)
        #expect(page.components(separatedBy: "<polyline ").count - 1 == 8)
        #expect(page.contains("latency histogram") && page.contains("throughput over time"))
        // Each side keeps one colour everywhere.
        let etcdColor = BenchPage.palette[0]
        let concordColor = BenchPage.palette[1]
        #expect(page.components(separatedBy: "stroke=\"\(etcdColor)\"").count - 1 == 4)
        #expect(page.components(separatedBy: "stroke=\"\(concordColor)\"").count - 1 == 4)
        #expect(page.contains("<td>6000</td>") && page.contains("<td>4.750</td>"))
        // Self-contained: no scripts, no external resources.
        #expect(!page.contains("<script"))
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(!page.contains("src=") && !page.contains("<link"))
    }

    @Test func repeatedRunsOfASideAreNumberedAndErrorsShown() {
        let runs = [
            run(label: "concord", buckets: buckets, completions: [1, 2]),
            run(label: "concord", buckets: buckets, completions: [1, 2], firstError: "unavailable: no leader"),
        ]
        let page = BenchPage.render(runs, title: "rounds")
        #expect(page.contains("concord #1") && page.contains("concord #2"))
        #expect(page.contains("class=\"bad\">1</td>"))
        #expect(page.contains("concord #2: unavailable: no leader"))
    }

    @Test func textFromRunsIsEscaped() {
        let runs = [run(label: "<b>side</b>", workload: "put&<x>", buckets: buckets, completions: [1], firstError: "\"quoted\" <tag>")]
        let page = BenchPage.render(runs, title: "a <title> & more")
        #expect(!page.contains("<b>side</b>") && page.contains("&lt;b&gt;side&lt;/b&gt;"))
        #expect(!page.contains("put&<x>") && page.contains("put&amp;&lt;x&gt;"))
        #expect(page.contains("&quot;quoted&quot; &lt;tag&gt;"))
        #expect(page.contains("<h1>a &lt;title&gt; &amp; more</h1>"))
    }

    @Test func latencySharesSumToAllRequestsOnALogarithmicAxis() {
        let points = BenchPage.latencyShares(run(label: "x", buckets: buckets, completions: []))
        #expect(abs(points.map(\.y).reduce(0, +) - 100) < 1e-9)
        #expect(points.first!.y == 0)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.x < $1.x })
        #expect(points.last!.x >= 12 && points.first!.x < 0.8)
    }

    @Test func throughputIsRequestsPerSecondAndCoarsenedToFewPoints() {
        // 10 ms intervals of 5 requests: 500 requests/s throughout.
        let series = BenchRun.Throughput(intervalMilliseconds: 10, completions: [UInt32](repeating: 5, count: 1_000))
        let points = BenchPage.throughputPoints(series)
        #expect(points.count <= BenchPage.throughputPointsMax + 1)
        #expect(points.dropFirst().allSatisfy { abs($0.y - 500) < 1e-9 })
        #expect(abs(points.last!.x - 10) < 1e-9)
    }

    @Test func runsRoundTripThroughJSON() throws {
        let original = run(label: "etcd", buckets: buckets, completions: [1, 2, 3])
        let decoded = try JSONDecoder().decode(BenchRun.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)
    }
}
