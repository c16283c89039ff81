// Builds tests/pch.hpp once; every test executable reuses it (tests/CMakeLists.txt).
