namespace MjVideo.Model;

/// <summary>The three training stages of paper-digest 2.4, each adding one part of the head to what is trained.</summary>
public enum TrainingStage
{
    /// <summary>Stage 1: criteria regression (regression_layer).</summary>
    Criteria = 1,
    /// <summary>Stage 2: aspect scores (+ criteria_gating).</summary>
    Aspect = 2,
    /// <summary>Stage 3: overall score (+ aspect_gating).</summary>
    Overall = 3,
}
