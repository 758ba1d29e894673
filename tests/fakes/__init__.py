"""Local fakes of the platforms' APIs, served over real HTTP for the tests."""
