package dev.scalekernel.harness.experiment;

import java.util.List;

/** The experiments a spec can name. */
public final class Experiments {

    private static final List<Experiment> ALL = List.of(new RandomFeaturesExperiment(), new SparseFeaturesExperiment(),
            new GraphWalkExperiment(), new PlrfExperiment(), new TeacherStudentExperiment());

    private Experiments() {
    }

    public static List<Experiment> all() {
        return ALL;
    }

    public static List<String> ids() {
        return ALL.stream().map(Experiment::id).toList();
    }

    public static Experiment get(String id) {
        return ALL.stream().filter(e -> e.id().equals(id)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown experiment '" + id + "'; expected one of " + String.join(", ", ids())));
    }
}
