namespace MjVideo.Metrics;

/// <summary>
/// The few distribution functions the metrics need (normal, Student t, chi-square, binomial), built on log-gamma and the
/// regularized incomplete gamma and beta functions. Accurate to about 1e-12, far below any reported decimal.
/// </summary>
public static class Distributions
{
    const double Epsilon = 1e-15;
    const double Tiny = 1e-300;
    const int MaxIterations = 10_000;

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos approximation, g = 7, nine terms; relative error below 1e-14).</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0.");
        // Below 0.5 the series is less accurate; the reflection formula Γ(x)Γ(1-x) = π / sin(πx) moves x above it.
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        double[] coefficients =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = coefficients[0];
        for (var i = 1; i < coefficients.Length; i++) sum += coefficients[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>ln C(n, k), the log of the binomial coefficient.</summary>
    public static double LogChoose(int n, int k) => LogGamma(n + 1) - LogGamma(k + 1) - LogGamma(n - k + 1);

    /// <summary>Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a).</summary>
    public static double GammaP(double a, double x) => 1 - GammaQ(a, x);

    /// <summary>Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), for a &gt; 0 and x ≥ 0.</summary>
    public static double GammaQ(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "GammaQ needs a > 0.");
        if (!(x >= 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "GammaQ needs x >= 0.");
        if (x == 0) return 1;
        var logPrefactor = a * Math.Log(x) - x - LogGamma(a);
        // The power series of P converges fast below a + 1, the continued fraction of Q above it.
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (var n = 1; n < MaxIterations && Math.Abs(term) > Math.Abs(sum) * Epsilon; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return 1 - sum * Math.Exp(logPrefactor);
        }
        return Math.Exp(logPrefactor) * GammaContinuedFraction(a, x);
    }

    // Q(a, x) e^x x^-a Γ(a) as the continued fraction 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))), by Lentz's method.
    static double GammaContinuedFraction(double a, double x)
    {
        var b = x + 1 - a;
        var c = 1 / Tiny;
        var d = 1 / b;
        var result = d;
        for (var n = 1; n < MaxIterations; n++)
        {
            var an = -n * (n - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = b + an / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var delta = d * c;
            result *= delta;
            if (Math.Abs(delta - 1) < Epsilon) return result;
        }
        throw new InvalidOperationException($"GammaQ({a}, {x}) did not converge.");
    }

    /// <summary>Regularized incomplete beta I_x(a, b), for a, b &gt; 0 and 0 ≤ x ≤ 1.</summary>
    public static double BetaRegularized(double a, double b, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "BetaRegularized needs a > 0.");
        if (!(b > 0)) throw new ArgumentOutOfRangeException(nameof(b), b, "BetaRegularized needs b > 0.");
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), x, "BetaRegularized needs 0 <= x <= 1.");
        if (x == 0) return 0;
        if (x == 1) return 1;
        var logPrefactor = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        // The continued fraction converges quickly only below (a + 1) / (a + b + 2); above it use I_x(a,b) = 1 - I_{1-x}(b,a).
        if (x < (a + 1) / (a + b + 2)) return Math.Exp(logPrefactor) * BetaContinuedFraction(a, b, x) / a;
        return 1 - Math.Exp(logPrefactor) * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    // The continued fraction 1/(1+ d1/(1+ d2/(1+ ...))) with d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and
    // d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)), evaluated by Lentz's method.
    static double BetaContinuedFraction(double a, double b, double x)
    {
        var c = 1.0;
        var d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        var result = d;
        for (var m = 1; m < MaxIterations; m++)
        {
            var even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + even * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + even / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            result *= d * c;

            var odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + odd * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + odd / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var delta = d * c;
            result *= delta;
            if (Math.Abs(delta - 1) < Epsilon) return result;
        }
        throw new InvalidOperationException($"BetaRegularized({a}, {b}, {x}) did not converge.");
    }

    /// <summary>The complementary error function, erfc(x) = Q(1/2, x²) for x ≥ 0.</summary>
    public static double Erfc(double x) => x >= 0 ? GammaQ(0.5, x * x) : 2 - GammaQ(0.5, x * x);

    /// <summary>Standard normal cumulative distribution Φ(x).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>Standard normal quantile Φ⁻¹(p), for 0 &lt; p &lt; 1.</summary>
    public static double NormalQuantile(double p)
    {
        CheckProbability(p);
        return InvertIncreasing(NormalCdf, p, -40, 40);
    }

    /// <summary>Student t cumulative distribution with <paramref name="degreesOfFreedom"/> &gt; 0.</summary>
    public static double StudentTCdf(double t, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Needs degrees of freedom > 0.");
        // P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2); each tail holds half of it.
        var twoTailed = BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
        return t >= 0 ? 1 - twoTailed / 2 : twoTailed / 2;
    }

    /// <summary>Student t quantile: the t with P(T ≤ t) = p, for 0 &lt; p &lt; 1.</summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        CheckProbability(p);
        if (p < 0.5) return -StudentTQuantile(1 - p, degreesOfFreedom);
        // Bracket the quantile by doubling (df = 1 at p = 0.9995 already needs 636), then bisect.
        var high = 2.0;
        while (StudentTCdf(high, degreesOfFreedom) < p) high *= 2;
        return InvertIncreasing(t => StudentTCdf(t, degreesOfFreedom), p, 0, high);
    }

    /// <summary>P(X &gt; x) for X chi-square with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    public static double ChiSquareSurvival(double x, double degreesOfFreedom) =>
        x <= 0 ? 1 : GammaQ(degreesOfFreedom / 2, x / 2);

    /// <summary>Two-sided exact binomial p-value for k successes in n trials at probability 1/2 (the sign test).</summary>
    public static double BinomialTwoSidedHalf(int k, int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Needs n >= 0.");
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"Needs 0 <= k <= n = {n}.");
        if (n == 0) return 1;
        // The distribution is symmetric, so the two-sided p doubles the smaller tail.
        var smaller = Math.Min(k, n - k);
        var tail = 0.0;
        for (var i = 0; i <= smaller; i++) tail += Math.Exp(LogChoose(n, i) - n * Math.Log(2));
        return Math.Min(1, 2 * tail);
    }

    static void CheckProbability(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "A quantile needs 0 < p < 1.");
    }

    // Bisection on an increasing function: slow but certain, and a quantile is computed a handful of times per table.
    static double InvertIncreasing(Func<double, double> cdf, double p, double low, double high)
    {
        for (var i = 0; i < 200 && high - low > 1e-13 * Math.Max(1, Math.Abs(high)); i++)
        {
            var middle = 0.5 * (low + high);
            if (cdf(middle) < p) low = middle; else high = middle;
        }
        return 0.5 * (low + high);
    }
}
