#include "report/strings.hpp"

namespace llmsweep::report {

const Strings& strings(std::string_view language) { return language == "zh" ? chinese : english; }

} // namespace llmsweep::report
