import Foundation
import Testing
@testable import Datasets

@Suite("RandomResizedCrop and flip parameters")
struct AugmentationTests {
    @Test(arguments: [(500, 375), (224, 224), (1000, 300), (64, 900), (1, 1), (3, 2)])
    func cropsStayInsideTheImageAndTheRanges(width: Int, height: Int) {
        let spec = RandomResizedCropSpec()
        var flips = 0, fallbacks = 0
        let n = 2000
        for i in 0..<n {
            let p = AugmentationParams.draw(key: AugmentationKey(seed: 3, epoch: 1, sampleIndex: i),
                                            imageWidth: width, imageHeight: height, spec: spec)
            #expect(p.width > 0 && p.height > 0 && p.top >= 0 && p.left >= 0)
            #expect(p.top + p.height <= height && p.left + p.width <= width, "\(p)")
            if p.flip { flips += 1 }
            if p.usedFallback { fallbacks += 1; continue }
            // Accepted attempt: area and aspect within the ranges up to the integer rounding.
            let area = Double(p.width * p.height) / Double(width * height)
            let aspect = Double(p.width) / Double(p.height)
            let slackW = 0.5 / Double(p.width) + 0.5 / Double(p.height)
            #expect(area <= 1.0 + 1e-12 && area >= 0.08 * (1 - 2 * slackW) - 1e-12, "\(p)")
            #expect(aspect >= 0.75 * (1 - 2 * slackW) && aspect <= 4.0 / 3.0 * (1 + 2 * slackW), "\(p)")
        }
        #expect(abs(Double(flips) / Double(n) - 0.5) < 0.05)
        // Images whose own aspect is within the ratio range rarely need the fallback.
        if width >= 8 && height >= 8 && (0.75...1.34).contains(Double(width) / Double(height)) {
            #expect(fallbacks < n / 50)
        }
    }

    @Test func drawIsAPureFunctionOfTheKey() {
        let k = AugmentationKey(seed: 11, epoch: 2, sampleIndex: 5)
        let a = AugmentationParams.draw(key: k, imageWidth: 640, imageHeight: 480)
        #expect(a == AugmentationParams.draw(key: k, imageWidth: 640, imageHeight: 480))
        let others = (0..<20).map {
            AugmentationParams.draw(key: AugmentationKey(seed: 11, epoch: 3, sampleIndex: $0), imageWidth: 640,
                                    imageHeight: 480)
        }
        #expect(Set(others).count > 15)
    }

    @Test func fallbackForVeryWideAndVeryTallImages() {
        // 1000 x 10: every attempt needs h >= sqrt(0.08 * 10000 / (4/3)) > 24 > 10, so all fail;
        // the fallback narrows to ratio 4/3: h = 10, w = round(13.33) = 13, centred.
        let wide = AugmentationParams.draw(key: AugmentationKey(seed: 1, epoch: 0, sampleIndex: 0), imageWidth: 1000,
                                           imageHeight: 10)
        #expect(wide.usedFallback)
        #expect(wide == AugmentationParams(top: 0, left: 493, height: 10, width: 13, flip: wide.flip,
                                           usedFallback: true))
        let tall = AugmentationParams.centralFallback(width: 10, height: 1000, ratio: (0.75, 4.0 / 3.0))
        #expect(tall == AugmentationParams(top: 493, left: 0, height: 13, width: 10, flip: false, usedFallback: true))
        // In range: the whole image.
        let square = AugmentationParams.centralFallback(width: 300, height: 280, ratio: (0.75, 4.0 / 3.0))
        #expect(square == AugmentationParams(top: 0, left: 0, height: 280, width: 300, flip: false, usedFallback: true))
    }

    @Test func attemptsFollowTorchvisionStepByStep() {
        // Attempt 1: (almost) the whole area at aspect 3/4 -> 300 x 400, too tall for 400 x 300: rejected.
        var us: [Double] = [0.999999, 0.0, 0.5, 0.5]
        var ranges: [ClosedRange<Int>] = []
        let p = AugmentationParams.randomResizedCrop(width: 400, height: 300, spec: RandomResizedCropSpec(),
                                                     uniform: { us.removeFirst() },
                                                     randint: { ranges.append($0); return $0.upperBound })
        // Attempt 2: area = 120000 * (0.08 + 0.92 * 0.5) = 64800, aspect = exp(0) = 1 -> 255 x 255 (254.56 rounds up).
        #expect(us.isEmpty && !p.usedFallback)
        #expect(p.width == 255 && p.height == 255)
        #expect(ranges == [0...45, 0...145])
        #expect(p.top == 45 && p.left == 145)
    }

    @Test func pythonRoundIsHalfToEven() {
        #expect(AugmentationParams.pythonRound(2.5) == 2)
        #expect(AugmentationParams.pythonRound(3.5) == 4)
        #expect(AugmentationParams.pythonRound(13.333) == 13)
    }
}
