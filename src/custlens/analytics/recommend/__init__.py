"""Product recommendations (个性化推荐): candidate recommenders, rules, blend and evaluation."""
